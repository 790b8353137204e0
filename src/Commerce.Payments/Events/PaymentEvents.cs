using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Events;

namespace Commerce.Payments.Events;

/// <summary>The event types the payments engine writes to its outbox; the stream is the payment id.</summary>
public static class PaymentEventTypes
{
    /// <summary>An authorization succeeded.</summary>
    public const string Authorized = "payments.payment.authorized";

    /// <summary>An authorization was declined.</summary>
    public const string AuthorizationDeclined = "payments.payment.authorization_declined";

    /// <summary>An authorization attempt surely failed at its provider (the next provider may follow).</summary>
    public const string AttemptFailed = "payments.payment.attempt_failed";

    /// <summary>A capture succeeded.</summary>
    public const string Captured = "payments.payment.captured";

    /// <summary>An authorization was voided.</summary>
    public const string Voided = "payments.payment.voided";

    /// <summary>A refund succeeded.</summary>
    public const string Refunded = "payments.payment.refunded";

    /// <summary>A capture, void or refund was declined by the PSP.</summary>
    public const string OperationDeclined = "payments.payment.operation_declined";

    /// <summary>A PSP call's outcome is unknown; the resolver will settle it.</summary>
    public const string OutcomeUnknown = "payments.payment.outcome_unknown";
}

/// <summary>The payload of every payment event: the attempt that changed and the payment's totals after it.</summary>
/// <param name="PaymentId">The payment.</param>
/// <param name="OrderId">The order it pays for, if any.</param>
/// <param name="Status">The payment's status after the change.</param>
/// <param name="Attempt">The attempt's number.</param>
/// <param name="Operation">authorize, capture, void or refund.</param>
/// <param name="Provider">The provider.</param>
/// <param name="AmountMinor">The attempt's amount.</param>
/// <param name="Currency">The currency.</param>
/// <param name="AuthorizedMinor">Authorized after the change.</param>
/// <param name="CapturedMinor">Captured after the change.</param>
/// <param name="RefundedMinor">Refunded after the change.</param>
/// <param name="FailureCode">The decline or error code, if any.</param>
public sealed record PaymentEvent(
    string PaymentId, string? OrderId, string Status, int Attempt, string Operation, string Provider, long AmountMinor, string Currency,
    long AuthorizedMinor, long CapturedMinor, long RefundedMinor, string? FailureCode);

/// <summary>System.Text.Json metadata for the payment events (camelCase, trimming-safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PaymentEvent))]
public sealed partial class PaymentsJsonContext : JsonSerializerContext;

/// <summary>
/// An event a payment change writes to the outbox, not yet serialized: stores serialize it in their own time (the
/// in-memory store only when the relay takes it, keeping JSON off the request path).
/// </summary>
public sealed class PaymentOutboxEvent
{
    private static readonly Func<object, ReadOnlyMemory<byte>> SerializePayload =
        static payload => JsonSerializer.SerializeToUtf8Bytes(((PaymentOutboxEvent)payload).Payload, PaymentsJsonContext.Default.PaymentEvent);

    // The orchestrator's events keep the payment as it was written and build the payload only when it is read: the
    // payment's snapshot is immutable and kept by the store anyway, so the request path allocates no payload.
    private readonly Payment? _payment;
    private readonly int _attemptNumber;
    private PaymentEvent? _payload;

    /// <summary>Creates an event.</summary>
    public PaymentOutboxEvent(Guid eventId, string eventType, DateTimeOffset occurredAt, PaymentEvent payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        ArgumentNullException.ThrowIfNull(payload);
        EventId = eventId;
        EventType = eventType;
        OccurredAt = occurredAt;
        StreamId = payload.PaymentId;
        _payload = payload;
    }

    internal PaymentOutboxEvent(Guid eventId, string eventType, DateTimeOffset occurredAt, Payment payment, int attemptNumber)
    {
        EventId = eventId;
        EventType = eventType;
        OccurredAt = occurredAt;
        StreamId = payment.Id.Value;
        _payment = payment;
        _attemptNumber = attemptNumber;
    }

    /// <summary>The event's unique id.</summary>
    public Guid EventId { get; }

    /// <summary>One of <see cref="PaymentEventTypes"/>.</summary>
    public string EventType { get; }

    /// <summary>The stream: the payment id.</summary>
    public string StreamId { get; }

    /// <summary>When the change happened.</summary>
    public DateTimeOffset OccurredAt { get; }

    /// <summary>The payload.</summary>
    // A race between two readers builds two equal payloads; either may win.
    public PaymentEvent Payload => _payload ??= PaymentEventFactory.Payload(_payment!, _payment!.Attempts[_attemptNumber - 1]);

    /// <summary>The serializer for <see cref="InMemoryOutboxStore"/>'s deferred append; its payload argument is the event itself.</summary>
    internal static Func<object, ReadOnlyMemory<byte>> Serializer => SerializePayload;

    /// <summary>Serializes the event into an envelope.</summary>
    public EventEnvelope ToEnvelope() => new(EventId, EventType, StreamId, OccurredAt, SerializePayload(this));
}

internal static class PaymentEventFactory
{
    public static PaymentOutboxEvent Create(Payment payment, PaymentAttempt attempt, DateTimeOffset at)
    {
        var type = (attempt.Status, attempt.Operation) switch
        {
            (AttemptStatus.Unknown, _) => PaymentEventTypes.OutcomeUnknown,
            (AttemptStatus.Succeeded, PaymentOperation.Authorize) => PaymentEventTypes.Authorized,
            (AttemptStatus.Succeeded, PaymentOperation.Capture) => PaymentEventTypes.Captured,
            (AttemptStatus.Succeeded, PaymentOperation.Void) => PaymentEventTypes.Voided,
            (AttemptStatus.Succeeded, PaymentOperation.Refund) => PaymentEventTypes.Refunded,
            (AttemptStatus.Declined, PaymentOperation.Authorize) => PaymentEventTypes.AuthorizationDeclined,
            (AttemptStatus.Declined, _) => PaymentEventTypes.OperationDeclined,
            _ => PaymentEventTypes.AttemptFailed,
        };
        return new PaymentOutboxEvent(EventIds.Next(), type, at, payment, attempt.Number);
    }

    public static PaymentEvent Payload(Payment payment, PaymentAttempt attempt) => new(
        payment.Id.Value, payment.OrderId?.Value, StatusName(payment.Status), attempt.Number, PaymentAttempt.OperationName(attempt.Operation),
        attempt.Provider, attempt.AmountMinor, payment.Amount.Currency.Code, payment.AuthorizedMinor, payment.CapturedMinor,
        payment.RefundedMinor, attempt.FailureCode);

    public static string StatusName(PaymentStatus status) => status switch
    {
        PaymentStatus.Created => "created",
        PaymentStatus.Authorized => "authorized",
        PaymentStatus.PartiallyCaptured => "partially_captured",
        PaymentStatus.Captured => "captured",
        PaymentStatus.Voided => "voided",
        PaymentStatus.Failed => "failed",
        PaymentStatus.PartiallyRefunded => "partially_refunded",
        PaymentStatus.Refunded => "refunded",
        _ => "unknown",
    };
}
