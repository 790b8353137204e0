namespace Commerce.Events;

/// <summary>
/// Delivers events to the outside world (a message broker, an in-process channel). Called by the outbox relay at
/// least once per event and in order per stream; implementations should be idempotent or let consumers dedupe on
/// <see cref="EventEnvelope.EventId"/>.
/// </summary>
public interface IEventPublisher
{
    /// <summary>Publishes a batch of events, in the given order. Throwing means none of them counts as delivered.</summary>
    ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken);
}
