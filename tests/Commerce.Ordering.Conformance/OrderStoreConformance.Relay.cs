using System.Collections.Concurrent;
using Commerce.Events;

namespace Commerce.Ordering.Conformance;

/// <summary>
/// The outbox relay killed at random points (before a claim, after a claim, halfway through a publish, after a
/// publish but before it is acknowledged) and restarted, while writers keep changing orders: every event must still
/// reach the publisher at least once, and after deduping on event id, each order's events arrive in version order.
/// </summary>
public abstract partial class OrderStoreConformance
{
    [Fact]
    public async Task A_relay_killed_and_restarted_at_random_points_delivers_every_event_at_least_once_in_order_per_order()
    {
        var random = new Random(4242);
        var publisher = new RecordingPublisher();
        var relayOptions = new OutboxRelayOptions { BatchSize = 7, Lease = TimeSpan.FromSeconds(5), IdleDelay = TimeSpan.FromMilliseconds(1) };
        using var writersDone = new CancellationTokenSource();

        var writers = Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var id = $"w{w}-o{i}";
                await PlacePaidAsync(id, "seller-a", "seller-b");
                foreach (var seller in new[] { "seller-a", "seller-b" })
                {
                    await ApplyAsync(new ShipFulfilment(new OrderId(id), NextCommandId(), seller, new SellerId(seller), $"T-{seller}"));
                    await ApplyAsync(new DeliverFulfilment(new OrderId(id), NextCommandId(), "carrier", new SellerId(seller)));
                }
            }
        })));

        var kills = 0;
        var rounds = 0;
        while (!writers.IsCompleted || rounds < 3)
        {
            rounds++;
            var kill = new KillSwitch(random.Next(1, 12), random);
            var relay = new OutboxRelay(new KillableOutbox(Outbox, kill), new KillablePublisher(publisher, kill), relayOptions, TimeProvider.System);
            try
            {
                while (await relay.PublishPendingAsync(kill.Token) > 0)
                {
                }
            }
            catch (Exception) when (kill.Token.IsCancellationRequested)
            {
                kills++;
            }

            // A dead relay's claims are leased; they come back once the lease runs out.
            Time.Advance(relayOptions.Lease + TimeSpan.FromSeconds(1));
            kill.Dispose();
        }

        await writers;
        var finalRelay = new OutboxRelay(Outbox, publisher, relayOptions, TimeProvider.System);
        Time.Advance(relayOptions.Lease + TimeSpan.FromSeconds(1));
        while (await finalRelay.PublishPendingAsync(CancellationToken.None) > 0)
        {
        }

        Assert.True(kills > 0, "the relay was never killed");
        var firstDeliveries = publisher.Delivered.DistinctBy(e => e.EventId).ToList();
        var stored = new List<OrderEvent>();
        foreach (var stream in firstDeliveries.GroupBy(e => e.StreamId))
        {
            var history = await Orders.ReadHistoryAsync(new OrderId(stream.Key));
            stored.AddRange(history);
            Assert.Equal(history.Select(e => e.EventId), stream.Select(e => e.EventId));
        }

        Assert.Equal(4 * 10 * 6, stored.Count);
        Assert.Equal(stored.Count, firstDeliveries.Count);
    }

    [Fact]
    public async Task A_message_that_keeps_failing_is_retried_then_dead_lettered_and_the_others_get_through()
    {
        await PlaceAsync("poison");
        await PlaceAsync("healthy");
        var publisher = new RecordingPublisher { Poison = "poison" };
        var outbox = new FailureRecordingOutbox(Outbox);
        var relay = new OutboxRelay(outbox, publisher, new OutboxRelayOptions { MaxAttempts = 3, RetryBaseDelay = TimeSpan.FromSeconds(1) }, Time);

        for (var round = 0; round < 10; round++)
        {
            await relay.PublishPendingAsync(CancellationToken.None);
            Time.Advance(TimeSpan.FromMinutes(1));
        }

        // Retried after two failures, dead-lettered at the third, and never offered again.
        Assert.Equal([(1, false), (2, false), (3, true)], outbox.Failures.Select(f => (f.Attempt, f.DeadLetter)));
        Assert.All(outbox.Failures, f => Assert.Equal("poison", f.StreamId));
        Assert.Equal(["healthy"], publisher.Delivered.Select(e => e.StreamId));
        Assert.Empty(await Outbox.ClaimAsync(100, TimeSpan.FromMinutes(1), CancellationToken.None));
    }

    private sealed class FailureRecordingOutbox(IOutboxStore inner) : IOutboxStore
    {
        public List<(string StreamId, int Attempt, bool DeadLetter)> Failures { get; } = [];

        public ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken) =>
            inner.ClaimAsync(maxCount, lease, cancellationToken);

        public ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken) =>
            inner.MarkPublishedAsync(messages, cancellationToken);

        public ValueTask MarkFailedAsync(OutboxMessage message, string error, TimeSpan retryAfter, bool deadLetter, CancellationToken cancellationToken)
        {
            Failures.Add((message.Event.StreamId, message.Attempts + 1, deadLetter));
            return inner.MarkFailedAsync(message, error, retryAfter, deadLetter, cancellationToken);
        }
    }

    /// <summary>Counts down the relay's steps; at zero it "kills the process": cancels and throws, so nothing after that step happens.</summary>
    private sealed class KillSwitch(int steps, Random random) : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new();
        private int _remaining = steps;

        public CancellationToken Token => _cancellation.Token;

        public Random Random { get; } = random;

        public void Step()
        {
            if (Interlocked.Decrement(ref _remaining) <= 0)
            {
                Kill();
            }
        }

        public bool Due => Volatile.Read(ref _remaining) <= 1;

        public void Kill()
        {
            _cancellation.Cancel();
            throw new OperationCanceledException("relay killed", _cancellation.Token);
        }

        public void Dispose() => _cancellation.Dispose();
    }

    private sealed class KillableOutbox(IOutboxStore inner, KillSwitch kill) : IOutboxStore
    {
        public async ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken)
        {
            kill.Step();
            var claimed = await inner.ClaimAsync(maxCount, lease, CancellationToken.None);
            kill.Step();
            return claimed;
        }

        public ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
        {
            kill.Step();
            return inner.MarkPublishedAsync(messages, CancellationToken.None);
        }

        public ValueTask MarkFailedAsync(OutboxMessage message, string error, TimeSpan retryAfter, bool deadLetter, CancellationToken cancellationToken)
        {
            kill.Step();
            return inner.MarkFailedAsync(message, error, retryAfter, deadLetter, CancellationToken.None);
        }
    }

    private sealed class KillablePublisher(RecordingPublisher inner, KillSwitch kill) : IEventPublisher
    {
        public async ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
        {
            if (kill.Due && events.Count > 1)
            {
                // Killed halfway through a batch: the first events reached the broker, the rest did not.
                await inner.PublishAsync(events.Take(kill.Random.Next(1, events.Count)).ToArray(), CancellationToken.None);
                kill.Kill();
            }

            kill.Step();
            await inner.PublishAsync(events, CancellationToken.None);
        }
    }

    private sealed class RecordingPublisher : IEventPublisher
    {
        private readonly ConcurrentQueue<EventEnvelope> _delivered = new();

        public IReadOnlyCollection<EventEnvelope> Delivered => _delivered;

        /// <summary>A stream whose events always fail to publish.</summary>
        public string? Poison { get; init; }

        public ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
        {
            if (events.Any(e => e.StreamId == Poison))
            {
                throw new InvalidOperationException("the broker refuses this event");
            }

            foreach (var envelope in events)
            {
                _delivered.Enqueue(envelope);
            }

            return ValueTask.CompletedTask;
        }
    }
}
