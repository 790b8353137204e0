using Commerce.Events;
using Commerce.Redis.Streams;
using StackExchange.Redis;
using static Commerce.Redis.Tests.Streams.StreamTestKit;

namespace Commerce.Redis.Tests.Streams;

/// <summary>The Redis Streams publisher and consumer groups against a real Redis.</summary>
public abstract class RedisStreamsTests(RedisTopology topology) : IDisposable
{
    private readonly List<IDisposable> _disposables = [];
    private readonly string _prefix = TestRedis.Prefix();

    protected RedisTopology Topology { get; } = topology;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Published_events_are_delivered_whole_and_acknowledged()
    {
        var publisher = Publisher();
        var events = Enumerable.Range(0, 10).Select(i => Event($"order-{i % 3}", i % 2 == 0 ? $"corr-{i}" : null)).ToArray();
        await publisher.PublishAsync(events, Token);
        var handler = new RecordingHandler();
        var consumer = Consumer(handler);

        var delivered = await consumer.ProcessOnceAsync(Token);

        Assert.Equal(10, delivered);
        var received = handler.Handled.Select(h => h.Envelope).ToArray();
        Assert.Equal(events.Select(e => e.EventId), received.Select(e => e.EventId));
        for (var i = 0; i < events.Length; i++)
        {
            Assert.Equal(events[i].EventType, received[i].EventType);
            Assert.Equal(events[i].StreamId, received[i].StreamId);
            Assert.Equal(events[i].OccurredAt, received[i].OccurredAt);
            Assert.Equal(events[i].OccurredAt.Offset, received[i].OccurredAt.Offset);
            Assert.Equal(events[i].CorrelationId, received[i].CorrelationId);
            Assert.Equal(events[i].Payload.ToArray(), received[i].Payload.ToArray());
        }

        Assert.All(handler.Handled, h => Assert.Equal(1, h.Delivery.DeliveryCount));
        Assert.Equal(0, (await Database().StreamPendingAsync(consumer.StreamKey, "group")).PendingMessageCount);
        Assert.Equal(0, await consumer.ProcessOnceAsync(Token));
    }

    [Fact]
    public async Task Publishing_a_batch_again_adds_nothing_within_the_dedupe_window()
    {
        var events = Enumerable.Range(0, 20).Select(_ => Event()).ToArray();
        var publisher = Publisher();
        await publisher.PublishAsync(events, Token);
        await publisher.PublishAsync(events[5..15], Token);
        await publisher.PublishAsync([events[3], events[3]], Token);
        Assert.Equal(20, await Database().StreamLengthAsync(publisher.StreamKey));

        // Without the window, publishing is plainly at least once.
        var plain = Publisher(o => (o.StreamName, o.DedupeWindow) = ("plain", TimeSpan.Zero));
        await plain.PublishAsync(events, Token);
        await plain.PublishAsync(events, Token);
        Assert.Equal(40, await Database().StreamLengthAsync(plain.StreamKey));
    }

    [Fact]
    public async Task A_batch_longer_than_one_script_keeps_its_order()
    {
        var events = Enumerable.Range(0, RedisStreamEventPublisher.MaxEventsPerScript * 2 + 17).Select(i => Event($"order-{i % 7}")).ToArray();
        var publisher = Publisher();
        await publisher.PublishAsync(events, Token);

        var entries = await Database().StreamRangeAsync(publisher.StreamKey);
        Assert.Equal(events.Select(e => e.EventId.ToString("D")), entries.Select(e => (string?)e["id"]));
    }

    [Fact]
    public async Task The_stream_is_trimmed_to_about_its_maximum_length()
    {
        var publisher = Publisher(o => o.MaxLength = 100);
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(Enumerable.Range(0, 100).Select(_ => Event()).ToArray(), Token);
        }

        // MAXLEN ~ trims whole macro nodes (100 entries by default), so the length stays near the bound, never at 1,000.
        Assert.InRange(await Database().StreamLengthAsync(publisher.StreamKey), 100, 300);
    }

    [Fact]
    public async Task Two_consumers_of_one_group_share_the_work_and_leave_the_group_when_stopped()
    {
        var events = Enumerable.Range(0, 200).Select(i => Event($"order-{i}")).ToArray();
        await Publisher().PublishAsync(events, Token);
        var handler = new RecordingHandler(static async (_, _, ct) => await Task.Delay(1, ct));
        var first = Consumer(handler, o => (o.BatchSize, o.ConsumerName) = (10, "first"));
        var second = Consumer(handler, o => (o.BatchSize, o.ConsumerName) = (10, "second"));
        using var stop = new CancellationTokenSource();

        var running = new[] { first.RunAsync(stop.Token), second.RunAsync(stop.Token) };
        await WaitUntilAsync(() => handler.Handled.Count >= 200);
        await stop.CancelAsync();
        await Task.WhenAll(running);

        Assert.Equal(200, handler.Handled.Count);
        Assert.Equal(events.Select(e => e.EventId).Order(), handler.Handled.Select(h => h.Envelope.EventId).Order());
        Assert.Contains(handler.Handled, h => h.Delivery.ConsumerName == "first");
        Assert.Contains(handler.Handled, h => h.Delivery.ConsumerName == "second");
        Assert.Equal(0, (await Database().StreamPendingAsync(first.StreamKey, "group")).PendingMessageCount);
        Assert.Empty(await Database().StreamConsumerInfoAsync(first.StreamKey, "group"));
    }

    [Fact]
    public async Task Entries_of_a_consumer_that_died_are_delivered_to_another()
    {
        var events = Enumerable.Range(0, 5).Select(_ => Event()).ToArray();
        await Publisher().PublishAsync(events, Token);

        // The first consumer takes the batch and dies in its first handler: nothing is acknowledged.
        using var death = new CancellationTokenSource();
        var dying = new RecordingHandler(async (_, _, ct) =>
        {
            await death.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var victim = Consumer(dying, o => o.ConsumerName = "victim");
        Assert.Equal(1, await victim.ProcessOnceAsync(death.Token));
        var pending = await Database().StreamPendingAsync(victim.StreamKey, "group");
        Assert.Equal(5, pending.PendingMessageCount);
        Assert.Equal("victim", pending.Consumers.Single().Name);

        var handler = new RecordingHandler();
        var survivor = Consumer(handler, o => (o.ConsumerName, o.ClaimIdleTime, o.ClaimInterval, o.PollInterval) =
            ("survivor", TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(20)));
        using var stop = new CancellationTokenSource();
        var running = survivor.RunAsync(stop.Token);
        await WaitUntilAsync(() => handler.Handled.Count >= 5);
        await stop.CancelAsync();
        await running;

        Assert.Equal(events.Select(e => e.EventId), handler.Handled.Select(h => h.Envelope.EventId));
        Assert.All(handler.Handled, h => Assert.Equal(2, h.Delivery.DeliveryCount));
        Assert.Equal(0, (await Database().StreamPendingAsync(survivor.StreamKey, "group")).PendingMessageCount);
    }

    [Fact]
    public async Task A_poison_event_goes_to_the_dead_letter_after_its_last_delivery_and_the_others_flow()
    {
        var events = new[] { Event(), Event(), Event() };
        var poison = events[1].EventId;
        await Publisher().PublishAsync(events, Token);
        var handler = new RecordingHandler((envelope, _, _) =>
            envelope.EventId == poison ? throw new InvalidOperationException("cannot handle this one") : ValueTask.CompletedTask);
        var consumer = Consumer(handler, o => (o.MaxDeliveries, o.ClaimIdleTime, o.ClaimInterval, o.PollInterval) =
            (3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20)));
        using var stop = new CancellationTokenSource();

        var running = consumer.RunAsync(stop.Token);
        await WaitUntilAsync(async () => await Database().StreamLengthAsync(consumer.DeadLetterKey) == 1);
        await stop.CancelAsync();
        await running;

        Assert.Equal([1, 2, 3], handler.Attempts.Where(a => a.Envelope.EventId == poison).Select(a => a.Delivery.DeliveryCount));
        Assert.Equal([events[0].EventId, events[2].EventId], handler.Handled.Select(h => h.Envelope.EventId));
        var dead = (await Database().StreamRangeAsync(consumer.DeadLetterKey)).Single();
        Assert.Equal(poison.ToString("D"), (string?)dead["id"]);
        Assert.Equal("3", (string?)dead["delivery-count"]);
        Assert.Equal("group", (string?)dead["group"]);
        Assert.Contains("cannot handle this one", (string?)dead["dead-letter-reason"], StringComparison.Ordinal);
        Assert.False(dead["data"].IsNullOrEmpty);
        Assert.Equal(0, (await Database().StreamPendingAsync(consumer.StreamKey, "group")).PendingMessageCount);
    }

    [Fact]
    public async Task An_entry_whose_consumers_keep_dying_is_dead_lettered_without_another_delivery()
    {
        var publisher = Publisher();
        var dead = Event();
        await publisher.PublishAsync([dead], Token);
        var handler = new RecordingHandler();
        var consumer = Consumer(handler, o => (o.MaxDeliveries, o.ClaimIdleTime) = (3, TimeSpan.FromMilliseconds(50)));
        await consumer.EnsureGroupAsync();

        // Three consumers took it in turn and died: delivered three times, never acknowledged.
        var database = Database();
        var entry = (await database.StreamReadGroupAsync(publisher.StreamKey, "group", "ghost-1", ">", 1)).Single();
        await database.StreamClaimAsync(publisher.StreamKey, "group", "ghost-2", 0, [entry.Id]);
        await database.StreamClaimAsync(publisher.StreamKey, "group", "ghost-3", 0, [entry.Id]);
        await Task.Delay(100, Token);

        Assert.Equal(1, await consumer.ProcessOnceAsync(Token));
        Assert.Empty(handler.Attempts);
        var letter = (await database.StreamRangeAsync(consumer.DeadLetterKey)).Single();
        Assert.Equal(dead.EventId.ToString("D"), (string?)letter["id"]);
        Assert.Equal((string?)entry.Id, (string?)letter["source-id"]);
        Assert.Contains("not acknowledged after 3 deliveries (last consumer ghost-3)", (string?)letter["dead-letter-reason"], StringComparison.Ordinal);
        Assert.Equal(0, (await database.StreamPendingAsync(publisher.StreamKey, "group")).PendingMessageCount);
    }

    [Fact]
    public async Task A_malformed_entry_is_dead_lettered_at_once()
    {
        var publisher = Publisher();
        var handler = new RecordingHandler();
        var consumer = Consumer(handler);
        await consumer.EnsureGroupAsync();
        await Database().StreamAddAsync(publisher.StreamKey, [new NameValueEntry("id", "not-a-guid"), new NameValueEntry("type", "x")]);
        await publisher.PublishAsync([Event()], Token);

        Assert.Equal(2, await consumer.ProcessOnceAsync(Token));

        Assert.Single(handler.Handled);
        var letter = (await Database().StreamRangeAsync(consumer.DeadLetterKey)).Single();
        Assert.Equal("not-a-guid", (string?)letter["id"]);
        Assert.Contains("not an event envelope", (string?)letter["dead-letter-reason"], StringComparison.Ordinal);
        Assert.Equal(0, (await Database().StreamPendingAsync(publisher.StreamKey, "group")).PendingMessageCount);
    }

    [Fact]
    public async Task A_relay_that_crashed_after_publishing_does_not_duplicate_its_batch()
    {
        var outbox = new InMemoryOutboxStore();
        var events = Enumerable.Range(0, 50).Select(i => Event($"order-{i % 5}")).ToArray();
        foreach (var e in events)
        {
            outbox.Append(e);
        }

        // The first publish reaches Redis, then the relay "crashes" before marking its outbox: it publishes again.
        var publisher = new CrashAfterPublishing(Publisher());
        var relay = new OutboxRelay(outbox, publisher, new OutboxRelayOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1) });
        Assert.Equal(50, await relay.PublishPendingAsync(Token));
        Assert.Equal(0, await relay.PublishPendingAsync(Token));
        Assert.True(publisher.Crashed);
        Assert.Equal(100, publisher.Published);

        var handler = new RecordingHandler();
        var consumer = Consumer(handler);
        Assert.Equal(50, await consumer.ProcessOnceAsync(Token));
        Assert.Equal(0, await consumer.ProcessOnceAsync(Token));
        Assert.Equal(events.Select(e => e.EventId), handler.Handled.Select(h => h.Envelope.EventId));
    }

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    private RedisStreamEventPublisher Publisher(Action<RedisEventStreamOptions>? configure = null)
    {
        var options = new RedisEventStreamOptions { StreamName = "orders" };
        configure?.Invoke(options);
        return new RedisStreamEventPublisher(Database(), options, _prefix);
    }

    private RedisStreamConsumer Consumer(IStreamEventHandler handler, Action<RedisStreamConsumerOptions>? configure = null)
    {
        var options = new RedisStreamConsumerOptions { StreamName = "orders", GroupName = "group", PollInterval = TimeSpan.FromMilliseconds(10) };
        configure?.Invoke(options);
        return new RedisStreamConsumer(Database(), options, handler, _prefix);
    }

    private IDatabase Database()
    {
        if (_disposables.Count == 0)
        {
            _disposables.Add(TestRedis.Connect(Topology));
        }

        return ((ConnectionMultiplexer)_disposables[0]).GetDatabase();
    }

    /// <summary>Publishes, then throws the first time, as a relay that crashed between publishing and marking would.</summary>
    private sealed class CrashAfterPublishing(IEventPublisher inner) : IEventPublisher
    {
        public bool Crashed { get; private set; }

        public int Published { get; private set; }

        public async ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
        {
            await inner.PublishAsync(events, cancellationToken);
            Published += events.Count;
            if (!Crashed)
            {
                Crashed = true;
                throw new IOException("crashed after publishing");
            }
        }
    }
}

public sealed class StandaloneRedisStreamsTests() : RedisStreamsTests(RedisTopology.Standalone);

public sealed class ClusterRedisStreamsTests() : RedisStreamsTests(RedisTopology.Cluster);
