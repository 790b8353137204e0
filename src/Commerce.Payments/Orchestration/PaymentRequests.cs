namespace Commerce.Payments;

/// <summary>A request to authorize (hold) an amount.</summary>
/// <param name="PaymentId">The payment to create; chosen by the caller, so a crash before the answer leaves nothing unnamed.</param>
/// <param name="IdempotencyKey">The caller's key: a retry with it returns the first outcome and never charges twice.</param>
/// <param name="Amount">The amount to hold.</param>
/// <param name="PaymentMethod">The PSP token of the buyer's payment method.</param>
public sealed record AuthorizePaymentRequest(PaymentId PaymentId, IdempotencyKey IdempotencyKey, Money Amount, string PaymentMethod)
{
    /// <summary>How the amount splits between sellers; the shares must add up to the amount. Empty: all of it is the platform's own sale.</summary>
    public IReadOnlyList<SellerShare> Splits { get; init; } = [];

    /// <summary>The order paid for, if any (carried in events).</summary>
    public OrderId? OrderId { get; init; }

    /// <summary>A provider to use instead of routing, if the caller must choose.</summary>
    public string? Provider { get; init; }
}

/// <summary>A seller's share of a payment.</summary>
/// <param name="SellerId">The seller.</param>
/// <param name="Amount">The share.</param>
public readonly record struct SellerShare(SellerId SellerId, Money Amount);

/// <summary>A request to capture part or all of an authorization.</summary>
/// <param name="PaymentId">The payment.</param>
/// <param name="IdempotencyKey">The caller's key.</param>
/// <param name="Amount">The amount to capture now.</param>
/// <param name="IsFinal">Whether no capture follows (the rest of the hold is released).</param>
public sealed record CapturePaymentRequest(PaymentId PaymentId, IdempotencyKey IdempotencyKey, Money Amount, bool IsFinal = false);

/// <summary>A request to cancel an uncaptured authorization.</summary>
/// <param name="PaymentId">The payment.</param>
/// <param name="IdempotencyKey">The caller's key.</param>
public sealed record VoidPaymentRequest(PaymentId PaymentId, IdempotencyKey IdempotencyKey);

/// <summary>A request to refund part or all of the captured amount.</summary>
/// <param name="PaymentId">The payment.</param>
/// <param name="IdempotencyKey">The caller's key.</param>
/// <param name="Amount">The amount to refund.</param>
public sealed record RefundPaymentRequest(PaymentId PaymentId, IdempotencyKey IdempotencyKey, Money Amount);

/// <summary>The answer to a payment request.</summary>
/// <param name="Outcome">How it ended; <see cref="PaymentOutcome.Pending"/> when the PSP's answer is unknown (retry with the same key, or wait for the resolver).</param>
/// <param name="Payment">The payment as it stands now.</param>
/// <param name="AttemptNumber">The attempt that decided the outcome.</param>
/// <param name="FailureCode">The decline or error code, when it did not succeed.</param>
/// <param name="FailureMessage">The reason, when it did not succeed.</param>
/// <param name="IsReplay">Whether this replays the stored result of an earlier request with the same key.</param>
public readonly record struct PaymentResult(PaymentOutcome Outcome, Payment Payment, int AttemptNumber, string? FailureCode, string? FailureMessage, bool IsReplay)
{
    /// <summary>Whether the operation succeeded.</summary>
    public bool Succeeded => Outcome == PaymentOutcome.Succeeded;
}

/// <summary>What a webhook request did.</summary>
/// <param name="Applied">Events that settled an attempt.</param>
/// <param name="Duplicates">Events seen before, ignored.</param>
/// <param name="Ignored">Events that changed nothing: unmatched, about a settled attempt, or of a kind the engine does not act on.</param>
public readonly record struct WebhookResult(int Applied, int Duplicates, int Ignored);

/// <summary>How a finished request ended, as stored with its key and replayed to retries.</summary>
public enum PaymentOutcome
{
    /// <summary>The operation succeeded.</summary>
    Succeeded,

    /// <summary>The PSP refused it.</summary>
    Declined,

    /// <summary>No provider could process it.</summary>
    Failed,

    /// <summary>The outcome is not known yet: the key stays open and a retry resumes the request. Never stored as a result.</summary>
    Pending,
}
