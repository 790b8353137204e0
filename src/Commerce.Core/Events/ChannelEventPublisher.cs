using System.Threading.Channels;

namespace Commerce.Events;

/// <summary>
/// An in-process <see cref="IEventPublisher"/>: events go into a <see cref="Channel{T}"/> that consumers in the same
/// process read from <see cref="Reader"/>. Delivery is at least once (the relay may publish an event again after a
/// crash), so consumers dedupe on <see cref="EventEnvelope.EventId"/>. A bounded channel applies back-pressure: the
/// relay waits for room instead of dropping events.
/// </summary>
public sealed class ChannelEventPublisher : IEventPublisher
{
    private readonly Channel<EventEnvelope> _channel;

    /// <summary>Creates a publisher over an unbounded channel.</summary>
    public ChannelEventPublisher()
        : this(Channel.CreateUnbounded<EventEnvelope>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false }))
    {
    }

    /// <summary>Creates a publisher over a bounded channel that holds at most <paramref name="capacity"/> unread events.</summary>
    public ChannelEventPublisher(int capacity)
        : this(Channel.CreateBounded<EventEnvelope>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait }))
    {
    }

    private ChannelEventPublisher(Channel<EventEnvelope> channel) => _channel = channel;

    /// <summary>Where consumers read the published events, in publication order.</summary>
    public ChannelReader<EventEnvelope> Reader => _channel.Reader;

    /// <summary>Stops accepting events; readers finish once they have drained the channel.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <inheritdoc />
    public async ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var writer = _channel.Writer;
        for (var i = 0; i < events.Count; i++)
        {
            if (!writer.TryWrite(events[i]))
            {
                // Full (bounded) or completed: WriteAsync waits for room, or throws when completed.
                await writer.WriteAsync(events[i], cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
