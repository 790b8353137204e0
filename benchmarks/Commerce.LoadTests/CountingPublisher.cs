using Commerce.Events;

namespace Commerce.LoadTests;

/// <summary>Counts what the outbox relays deliver; the events themselves are dropped.</summary>
internal sealed class CountingPublisher : IEventPublisher
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _count, events.Count);
        return ValueTask.CompletedTask;
    }
}
