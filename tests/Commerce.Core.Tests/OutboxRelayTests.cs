using Commerce.Events;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Core.Tests;

public sealed class OutboxRelayTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Delivers_everything_in_order_and_marks_it_published()
    {
        var store = new ListOutbox(Enumerable.Range(1, 10).Select(i => Message(i, $"stream-{i % 3}")));
        var publisher = new Publisher();
        var relay = new OutboxRelay(store, publisher, new OutboxRelayOptions { BatchSize = 4 }, _time);

        var delivered = 0;
        int round;
        while ((round = await relay.PublishPendingAsync(CancellationToken.None)) > 0)
        {
            delivered += round;
        }

        Assert.Equal(10, delivered);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), publisher.Delivered.Select(e => long.Parse(e.EventType, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Empty(store.Pending);
    }

    [Fact]
    public async Task A_poison_message_holds_back_only_its_stream_until_it_is_dead_lettered()
    {
        var store = new ListOutbox([Message(1, "a"), Message(2, "b"), Message(3, "a"), Message(4, "b")]);
        var publisher = new Publisher { Poison = 1 };
        var relay = new OutboxRelay(store, publisher, new OutboxRelayOptions { MaxAttempts = 3 }, _time);

        await relay.PublishPendingAsync(CancellationToken.None);
        Assert.Equal(["2", "4"], publisher.Delivered.Select(e => e.EventType));

        await relay.PublishPendingAsync(CancellationToken.None);
        await relay.PublishPendingAsync(CancellationToken.None);

        Assert.Equal(["2", "4", "3"], publisher.Delivered.Select(e => e.EventType));
        var dead = Assert.Single(store.DeadLetters);
        Assert.Equal(1, dead.Position);
        Assert.Empty(store.Pending);
    }

    [Fact]
    public async Task Run_stops_when_cancelled()
    {
        var relay = new OutboxRelay(new ListOutbox([]), new Publisher(), new OutboxRelayOptions(), TimeProvider.System);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await relay.RunAsync(cancellation.Token);

        Assert.True(cancellation.IsCancellationRequested);
    }

    private static OutboxMessage Message(long position, string stream) =>
        new(position, new EventEnvelope(Guid.NewGuid(), position.ToString(System.Globalization.CultureInfo.InvariantCulture), stream, DateTimeOffset.UnixEpoch, Array.Empty<byte>()), 0);

    private sealed class Publisher : IEventPublisher
    {
        public long? Poison { get; init; }

        public List<EventEnvelope> Delivered { get; } = [];

        public ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
        {
            if (events.Any(e => e.EventType == Poison?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                throw new InvalidOperationException("poison");
            }

            Delivered.AddRange(events);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A minimal outbox: every unpublished, not dead-lettered message is claimable.</summary>
    private sealed class ListOutbox(IEnumerable<OutboxMessage> messages) : IOutboxStore
    {
        public List<OutboxMessage> Pending { get; } = [.. messages];

        public List<OutboxMessage> DeadLetters { get; } = [];

        public ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken) =>
            new(Pending.Take(maxCount).ToArray());

        public ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> published, CancellationToken cancellationToken)
        {
            Pending.RemoveAll(m => published.Any(p => p.Position == m.Position));
            return ValueTask.CompletedTask;
        }

        public ValueTask MarkFailedAsync(OutboxMessage message, string error, TimeSpan retryAfter, bool deadLetter, CancellationToken cancellationToken)
        {
            var index = Pending.FindIndex(m => m.Position == message.Position);
            if (deadLetter)
            {
                DeadLetters.Add(Pending[index]);
                Pending.RemoveAt(index);
            }
            else
            {
                Pending[index] = Pending[index] with { Attempts = message.Attempts + 1 };
            }

            return ValueTask.CompletedTask;
        }
    }
}
