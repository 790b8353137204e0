namespace Commerce.Checkout;

/// <summary>Stable error codes of the checkout saga. Switch on these, never on messages.</summary>
public static class CheckoutErrorCodes
{
    /// <summary>The request is malformed (a missing buyer, payment method or line, a bad identifier). Nothing changed.</summary>
    public const string InvalidRequest = "checkout.invalid_request";

    /// <summary>The request has no idempotency key. Nothing changed.</summary>
    public const string MissingIdempotencyKey = "checkout.missing_idempotency_key";

    /// <summary>The cart has no lines. Nothing changed.</summary>
    public const string EmptyCart = "checkout.empty_cart";

    /// <summary>The cart has more lines than <see cref="CheckoutOptions.MaxLines"/>. Nothing changed.</summary>
    public const string TooManyLines = "checkout.too_many_lines";

    /// <summary>Two lines name the same SKU; merge them into one line. Nothing changed.</summary>
    public const string DuplicateLine = "checkout.duplicate_line";

    /// <summary>A quantity is zero, negative or above the limit, or a line total or the cart total overflows. Nothing changed.</summary>
    public const string InvalidQuantity = "checkout.invalid_quantity";

    /// <summary>A line's expected price is not in the checkout's currency, or a price is negative. Nothing changed.</summary>
    public const string CurrencyMismatch = "checkout.currency_mismatch";

    /// <summary>The catalog (or the stock) does not know a SKU. Nothing changed.</summary>
    public const string UnknownSku = "checkout.unknown_sku";

    /// <summary>A price differs from what the buyer saw; <see cref="CheckoutResult.CurrentPrices"/> lists the current ones. Nothing changed.</summary>
    public const string PriceChanged = "checkout.price_changed";

    /// <summary>Not enough stock for at least one line; <see cref="CheckoutResult.Availability"/> says what there was. Nothing changed.</summary>
    public const string SoldOut = "checkout.sold_out";

    /// <summary>The buyer would exceed the sale's per-buyer quantity cap for a SKU. Nothing changed.</summary>
    public const string QuantityCapExceeded = "checkout.quantity_cap_exceeded";

    /// <summary>Too many checkouts (the buyer's or everyone's rate, or the queue is full); retry after <see cref="CheckoutResult.RetryAfter"/>. Nothing changed.</summary>
    public const string Busy = "checkout.busy";

    /// <summary>The idempotency key was used before for a different cart, buyer or payment method. Nothing changed.</summary>
    public const string IdempotencyKeyReused = "checkout.idempotency_key_reused";

    /// <summary>The payment method was declined; the stock was released and the order cancelled.</summary>
    public const string Declined = "checkout.declined";

    /// <summary>No payment provider could process the authorization; the stock was released and the order cancelled.</summary>
    public const string PaymentFailed = "checkout.payment_failed";

    /// <summary>
    /// The PSP's answer to the authorization is unknown. The checkout waits for the payments resolver and then finishes
    /// or compensates on its own; ask again with the same key (or <c>CheckoutService.GetAsync</c>) later.
    /// </summary>
    public const string PaymentPending = "checkout.payment_pending";

    /// <summary>The checkout is being processed by another request or the recovery worker; ask again with the same key later.</summary>
    public const string InProgress = "checkout.in_progress";

    /// <summary>The stock hold ran out before the payment was confirmed; the authorization was voided and the order cancelled.</summary>
    public const string ReservationExpired = "checkout.reservation_expired";

    /// <summary>The order could not be marked paid (it was cancelled meanwhile); the authorization was voided.</summary>
    public const string OrderUnavailable = "checkout.order_unavailable";

    /// <summary>No checkout has this id or key.</summary>
    public const string NotFound = "checkout.not_found";
}
