namespace Commerce.Payments;

/// <summary>The stable error codes of the payments engine.</summary>
public static class PaymentErrorCodes
{
    /// <summary>The idempotency key was used before with a different request.</summary>
    public const string IdempotencyKeyReused = "payments.idempotency_key_reused";

    /// <summary>A request with the same idempotency key is still being processed.</summary>
    public const string RequestInProgress = "payments.request_in_progress";

    /// <summary>Another operation on the payment is in flight or its outcome is still unknown.</summary>
    public const string PaymentBusy = "payments.payment_busy";

    /// <summary>The amount is zero, negative or too large.</summary>
    public const string InvalidAmount = "payments.invalid_amount";

    /// <summary>The amount's currency differs from the payment's.</summary>
    public const string CurrencyMismatch = "payments.currency_mismatch";

    /// <summary>No payment has the given id.</summary>
    public const string UnknownPayment = "payments.unknown_payment";

    /// <summary>The payment already exists with a different request.</summary>
    public const string PaymentExists = "payments.payment_exists";

    /// <summary>The operation is not allowed in the payment's current state.</summary>
    public const string InvalidTransition = "payments.invalid_transition";

    /// <summary>The capture would exceed the authorized amount.</summary>
    public const string CaptureExceedsAuthorized = "payments.capture_exceeds_authorized";

    /// <summary>The refund would exceed the captured amount.</summary>
    public const string RefundExceedsCaptured = "payments.refund_exceeds_captured";

    /// <summary>A field is missing or malformed (payment method, split, metadata).</summary>
    public const string InvalidRequest = "payments.invalid_request";

    /// <summary>No configured provider accepts the payment's currency and amount.</summary>
    public const string NoProvider = "payments.no_provider";

    /// <summary>The named provider is not configured.</summary>
    public const string UnknownProvider = "payments.unknown_provider";

    /// <summary>The webhook's signature is missing, wrong or outside the tolerance window.</summary>
    public const string WebhookSignatureInvalid = "payments.webhook_signature_invalid";

    /// <summary>The webhook's body cannot be parsed.</summary>
    public const string WebhookMalformed = "payments.webhook_malformed";

    /// <summary>The webhook's body is larger than allowed.</summary>
    public const string WebhookTooLarge = "payments.webhook_too_large";

    /// <summary>The settlement report cannot be parsed.</summary>
    public const string ReportMalformed = "payments.report_malformed";
}
