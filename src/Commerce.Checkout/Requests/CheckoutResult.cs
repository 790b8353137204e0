using Commerce.Inventory;

namespace Commerce.Checkout;

/// <summary>Where a checkout stands from the buyer's point of view.</summary>
public enum CheckoutStatus
{
    /// <summary>Refused before anything changed (bad input, busy, sold out, price changed); nothing is stored and the key stays free.</summary>
    Rejected = 0,

    /// <summary>Started and not finished yet (the payment's outcome is unknown, or another request is driving it); ask again later.</summary>
    Pending = 1,

    /// <summary>Paid: the stock is sold, the order is paid and the payment authorized (captured now or when the seller ships).</summary>
    Completed = 2,

    /// <summary>Started, then failed and compensated: the stock was released, the order cancelled, any authorization voided.</summary>
    Failed = 3,
}

/// <summary>A SKU's current price, listed when a checkout fails with <c>checkout.price_changed</c>.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="ExpectedUnitPrice">The price the request carried.</param>
/// <param name="CurrentUnitPrice">The catalog's price now.</param>
public readonly record struct CheckoutPrice(Sku Sku, Money ExpectedUnitPrice, Money CurrentUnitPrice);

/// <summary>The outcome of a checkout request.</summary>
public sealed class CheckoutResult
{
    internal CheckoutResult(CheckoutStatus status, CommerceError? error)
    {
        Status = status;
        Error = error;
    }

    /// <summary>Where the checkout stands.</summary>
    public CheckoutStatus Status { get; }

    /// <summary>Whether the checkout completed (the buyer has a paid order).</summary>
    public bool IsSuccess => Status == CheckoutStatus.Completed;

    /// <summary>Why it did not complete (also set while pending: <c>checkout.payment_pending</c>, <c>checkout.in_progress</c>); null on success.</summary>
    public CommerceError? Error { get; }

    /// <summary>The checkout's id, once it started; null for a rejected request.</summary>
    public CheckoutId? CheckoutId { get; init; }

    /// <summary>The order, once placed.</summary>
    public OrderId? OrderId { get; init; }

    /// <summary>The payment, once authorization was attempted.</summary>
    public PaymentId? PaymentId { get; init; }

    /// <summary>What the buyer pays (zero for a rejected request).</summary>
    public Money? Total { get; init; }

    /// <summary>The saga's step, once started.</summary>
    public CheckoutStep? Step { get; init; }

    /// <summary>On <c>checkout.busy</c>: when to try again.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>On <c>checkout.price_changed</c>: every line whose price changed, with its current price.</summary>
    public IReadOnlyList<CheckoutPrice> CurrentPrices { get; init; } = [];

    /// <summary>On <c>checkout.sold_out</c>: what each line asked for and what was available (empty when the sold-out gate answered).</summary>
    public IReadOnlyList<LineAvailability> Availability { get; init; } = [];

    /// <summary>Whether this answers a repeat of an earlier request with the same idempotency key.</summary>
    public bool IsReplay { get; init; }

    /// <inheritdoc />
    public override string ToString() => Error is null ? $"{Status} {CheckoutId}" : $"{Status} {CheckoutId}: {Error}";
}
