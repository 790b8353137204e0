namespace Commerce.Payments.Webhooks;

/// <summary>
/// Verifies and parses one PSP's webhook (notification) requests. The orchestrator dedupes the parsed events by
/// (provider, <see cref="ProviderWebhookEvent.EventId"/>) and applies them under the payment's lock.
/// </summary>
public interface IPaymentWebhookParser
{
    /// <summary>
    /// Checks the request's signature (in constant time, within the provider's tolerance window) and returns the events
    /// it carries.
    /// </summary>
    /// <exception cref="CommerceValidationException">
    /// <c>payments.webhook_signature_invalid</c> when the signature is missing, wrong or outside the tolerance window;
    /// <c>payments.webhook_malformed</c> when the body cannot be parsed.
    /// </exception>
    IReadOnlyList<ProviderWebhookEvent> Parse(PaymentWebhookRequest request);
}

/// <summary>A webhook request as received over HTTP.</summary>
/// <param name="Body">The raw body, exactly as received: signatures cover these bytes.</param>
/// <param name="Headers">The request headers; look-ups must ignore case (create it with <see cref="StringComparer.OrdinalIgnoreCase"/>).</param>
public sealed record PaymentWebhookRequest(ReadOnlyMemory<byte> Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>What a webhook event reports.</summary>
public enum WebhookEventKind
{
    /// <summary>An event the engine does not act on; it is recorded for deduplication only.</summary>
    Other,

    /// <summary>An authorization succeeded.</summary>
    Authorized,

    /// <summary>An authorization was refused.</summary>
    AuthorizationDeclined,

    /// <summary>A capture succeeded.</summary>
    Captured,

    /// <summary>A capture failed.</summary>
    CaptureFailed,

    /// <summary>An authorization was cancelled.</summary>
    Voided,

    /// <summary>A refund succeeded.</summary>
    Refunded,

    /// <summary>A refund failed.</summary>
    RefundFailed,
}

/// <summary>One event from a PSP webhook.</summary>
/// <param name="EventId">The PSP's unique identifier of the event (for providers without one, a stable composite such as PSP reference, event code and success).</param>
/// <param name="Kind">What the event reports.</param>
/// <param name="Reference">Our reference for the attempt (the merchant reference or metadata we sent), when present.</param>
/// <param name="PspReference">The PSP's identifier of the payment.</param>
/// <param name="Amount">The amount the event is about, when present.</param>
/// <param name="OccurredAt">When the PSP says the event happened.</param>
public sealed record ProviderWebhookEvent(string EventId, WebhookEventKind Kind, string? Reference, string? PspReference, Money? Amount, DateTimeOffset OccurredAt);
