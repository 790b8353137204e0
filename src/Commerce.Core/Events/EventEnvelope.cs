namespace Commerce.Events;

/// <summary>
/// A domain event as it travels through the outbox to a publisher: a unique id consumers can dedupe on, the
/// stream (aggregate) it belongs to, its type, when it happened and its serialized payload.
/// </summary>
public sealed class EventEnvelope
{
    /// <summary>Creates an envelope.</summary>
    public EventEnvelope(Guid eventId, string eventType, string streamId, DateTimeOffset occurredAt, ReadOnlyMemory<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        EventId = eventId;
        EventType = eventType;
        StreamId = streamId;
        OccurredAt = occurredAt;
        Payload = payload;
    }

    /// <summary>The event's unique id; publishing is at least once, so consumers dedupe on it.</summary>
    public Guid EventId { get; }

    /// <summary>The event type, for example <c>inventory.reservation.committed</c>.</summary>
    public string EventType { get; }

    /// <summary>The stream the event belongs to (an order id, a reservation id); order is kept per stream.</summary>
    public string StreamId { get; }

    /// <summary>When the change happened, from the producer's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset OccurredAt { get; }

    /// <summary>The payload, UTF-8 JSON.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The id of the request or saga that caused the event, if known.</summary>
    public string? CorrelationId { get; init; }
}
