using System.Text.Json;
using Commerce.Events;

namespace Commerce.Inventory.Conformance;

public abstract partial class InventoryStoreConformance
{
    [Fact]
    public async Task Every_change_writes_an_event_that_the_relay_delivers_in_order()
    {
        var outbox = GetOutbox(Store);
        Assert.NotNull(outbox);
        await ReceiveAsync("sku-a", 10);
        await ReserveAsync("r1", "sku-a", 2);
        await ReserveAsync("r2", "sku-a", 3, TimeSpan.FromMinutes(1));
        await ReserveAsync("r3", "sku-a", 1);
        await ReserveAsync("refused", "sku-a", 100);
        await Inventory.CommitAsync(new ReservationId("r1"));
        await Inventory.ReleaseAsync(new ReservationId("r3"));
        Time.Advance(TimeSpan.FromMinutes(2));
        await Inventory.ExpireDueReservationsAsync();
        await ReserveAsync("r1", "sku-a", 2);

        var publisher = new RecordingPublisher();
        var relay = new OutboxRelay(outbox, publisher, new OutboxRelayOptions { BatchSize = 3 }, Time);
        while (await relay.PublishPendingAsync(CancellationToken.None) > 0)
        {
        }

        var events = publisher.Events;
        (string, string)[] expected =
        [
            (InventoryEventTypes.StockAdjusted, "sku-a@default"),
            (InventoryEventTypes.Reserved, "r1"),
            (InventoryEventTypes.Reserved, "r2"),
            (InventoryEventTypes.Reserved, "r3"),
            (InventoryEventTypes.Committed, "r1"),
            (InventoryEventTypes.Released, "r3"),
            (InventoryEventTypes.Expired, "r2"),
        ];
        AssertEventOrder(expected, events.Select(e => (e.EventType, e.StreamId)).ToArray());
        events = EventsOrderedAcrossStreams ? events : [.. expected.Select(x => events.First(e => (e.EventType, e.StreamId) == x))];
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());

        var committed = JsonSerializer.Deserialize(events[4].Payload.Span, InventoryJsonContext.Default.ReservationEvent)!;
        Assert.Equal("r1", committed.ReservationId);
        Assert.Equal("committed", committed.State);
        Assert.Equal(new ReservationEventLine("sku-a", "default", 2), Assert.Single(committed.Lines));
        var adjusted = JsonSerializer.Deserialize(events[0].Payload.Span, InventoryJsonContext.Default.StockAdjustedEvent)!;
        Assert.Equal(("sku-a", "adjust", 10L, 10L), (adjusted.Sku, adjusted.Kind, adjusted.OnHandDelta, adjusted.OnHand));
        Assert.Equal(0, await relay.PublishPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_failing_publisher_loses_nothing_and_keeps_the_order()
    {
        var outbox = GetOutbox(Store);
        Assert.NotNull(outbox);
        await ReceiveAsync("sku-a", 10);
        await ReserveAsync("r1", "sku-a", 1);
        await Inventory.CommitAsync(new ReservationId("r1"));

        var publisher = new RecordingPublisher { FailuresLeft = 3 };
        var relay = new OutboxRelay(outbox, publisher, new OutboxRelayOptions { RetryBaseDelay = TimeSpan.FromSeconds(1) }, Time);
        for (var i = 0; i < 10 && publisher.Events.Count < 3; i++)
        {
            await relay.PublishPendingAsync(CancellationToken.None);
            Time.Advance(TimeSpan.FromSeconds(30));
        }

        AssertEventOrder(
            [(InventoryEventTypes.StockAdjusted, "sku-a@default"), (InventoryEventTypes.Reserved, "r1"), (InventoryEventTypes.Committed, "r1")],
            publisher.Events.Select(e => (e.EventType, e.StreamId)).ToArray());
    }

    /// <summary>
    /// Whether the store's outbox keeps one order across all streams. A store sharded over several outboxes (Redis
    /// Cluster) keeps the order within each stream only, which is what the relay promises consumers.
    /// </summary>
    protected virtual bool EventsOrderedAcrossStreams => true;

    private void AssertEventOrder((string Type, string Stream)[] expected, (string Type, string Stream)[] actual)
    {
        if (EventsOrderedAcrossStreams)
        {
            Assert.Equal(expected, actual);
            return;
        }

        Assert.Equal(expected.Length, actual.Length);
        foreach (var stream in expected.Select(e => e.Stream).Distinct())
        {
            Assert.Equal(expected.Where(e => e.Stream == stream), actual.Where(e => e.Stream == stream));
        }
    }

    private sealed class RecordingPublisher : IEventPublisher
    {
        private readonly List<EventEnvelope> _events = [];

        public int FailuresLeft { get; set; }

        public IReadOnlyList<EventEnvelope> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
        {
            lock (_events)
            {
                if (FailuresLeft > 0)
                {
                    FailuresLeft--;
                    throw new InvalidOperationException("broker unavailable");
                }

                _events.AddRange(events);
            }

            return ValueTask.CompletedTask;
        }
    }
}
