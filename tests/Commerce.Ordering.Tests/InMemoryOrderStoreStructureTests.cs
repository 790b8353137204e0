using Commerce.Ordering.InMemory;
using Commerce.Ordering.Storage;

namespace Commerce.Ordering.Tests;

/// <summary>
/// The in-memory store's compact structures against plain references: the chunked buyer and seller indexes against a
/// sorted list, and the compact history against the events as appended, including events that
/// <see cref="OrderService"/> never builds (they must come back whole).
/// </summary>
public sealed class InMemoryOrderStoreStructureTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly OrderLine[] OneLine = [new(new Sku("sku-1"), new SellerId("seller-a"), 1, new Money(1_000, Currency.USD))];

    [Theory]
    [InlineData(1, 3)]
    [InlineData(7, 300)]
    [InlineData(42, 3_000)]
    public async Task Indexes_list_newest_first_with_ids_breaking_ties_and_page_like_a_sorted_list(int seed, int orders)
    {
        var random = new Random(seed);
        var store = new InMemoryOrderStore();
        var placed = new List<Order>();
        // Mostly in time order, with stretches out of order and many ties, as concurrent placements give.
        for (var i = 0; i < orders; i++)
        {
            var at = Start.AddSeconds(random.Next(10) < 7 ? i / 3 : random.Next(Math.Max(1, i / 3)));
            var order = await PlaceAsync(store, $"o-{random.Next(1_000_000):D6}-{i}", "buyer-1", at, i % 2 == 0 ? ["seller-a"] : ["seller-a", "seller-b"]);
            if (random.Next(3) == 0)
            {
                order = await AppendAsync(store, order, Event(order, OrderEventType.Paid, OrderState.Paid, order.PlacedAt));
            }

            placed.Add(order);
        }

        var newestFirst = placed.OrderByDescending(o => o.PlacedAt).ThenByDescending(o => o.Id.Value, StringComparer.Ordinal).ToList();
        foreach (var pageSize in new[] { 1, 2, 7, 64, orders + 1 })
        {
            Assert.Equal(Ids(newestFirst), Ids(await PageAllAsync((after, limit) => store.ListByBuyerAsync(new BuyerId("buyer-1"), after, limit, default), pageSize)));
            Assert.Equal(Ids(newestFirst), Ids(await PageAllAsync((after, limit) => store.ListBySellerAsync(new SellerId("seller-a"), null, after, limit, default), pageSize)));
            Assert.Equal(Ids(newestFirst.Where(o => o.State == OrderState.Paid)),
                Ids(await PageAllAsync((after, limit) => store.ListBySellerAsync(new SellerId("seller-a"), OrderState.Paid, after, limit, default), pageSize)));
            Assert.Equal(Ids(newestFirst.Where(o => o.Fulfilments.Count == 2)),
                Ids(await PageAllAsync((after, limit) => store.ListBySellerAsync(new SellerId("seller-b"), null, after, limit, default), pageSize)));
        }

        // A cursor need not be an indexed order: every order strictly older, newest first.
        for (var i = 0; i < 50; i++)
        {
            var cursor = new OrderCursor(Start.AddSeconds(random.Next(-2, orders / 3 + 2)), new OrderId($"o-{random.Next(1_000_000):D6}"));
            var expected = newestFirst.Where(cursor.Precedes).Take(10);
            Assert.Equal(Ids(expected), Ids(await store.ListByBuyerAsync(new BuyerId("buyer-1"), cursor, 10, default)));
        }
    }

    [Fact]
    public async Task A_buyer_with_one_order_is_listed_and_paged_like_any_other()
    {
        var store = new InMemoryOrderStore();
        var order = await PlaceAsync(store, "o-1", "buyer-1", Start, ["seller-a"]);

        Assert.Equal([order], await store.ListByBuyerAsync(new BuyerId("buyer-1"), null, 10, default));
        Assert.Empty(await store.ListByBuyerAsync(new BuyerId("buyer-1"), new OrderCursor(order.PlacedAt, order.Id), 10, default));
        Assert.Equal([order], await store.ListByBuyerAsync(new BuyerId("buyer-1"), new OrderCursor(order.PlacedAt, new OrderId("o-2")), 10, default));
        Assert.Empty(await store.ListByBuyerAsync(new BuyerId("buyer-1"), new OrderCursor(order.PlacedAt, new OrderId("o-0")), 10, default));
        Assert.Empty(await store.ListByBuyerAsync(new BuyerId("buyer-2"), null, 10, default));

        // The listed order is the live one.
        var paid = await AppendAsync(store, order, Event(order, OrderEventType.Paid, OrderState.Paid, Start));
        Assert.Equal([paid], await store.ListByBuyerAsync(new BuyerId("buyer-1"), null, 10, default));
    }

    [Fact]
    public async Task Concurrent_placements_of_one_buyer_are_all_indexed()
    {
        for (var round = 0; round < 50; round++)
        {
            var store = new InMemoryOrderStore();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var placing = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                await start.Task;
                return await PlaceAsync(store, $"o-{i}", "buyer-1", Start.AddTicks(i % 3), ["seller-a"]);
            })).ToArray();
            start.SetResult();
            var orders = await Task.WhenAll(placing);

            var listed = await store.ListByBuyerAsync(new BuyerId("buyer-1"), null, 100, default);
            Assert.Equal(Ids(orders.OrderByDescending(o => o.PlacedAt).ThenByDescending(o => o.Id.Value, StringComparer.Ordinal)), Ids(listed));
        }
    }

    [Fact]
    public void An_index_keeps_one_entry_per_order_across_chunk_splits()
    {
        var index = new OrderIndex();
        var records = Enumerable.Range(0, OrderIndex.ChunkCapacity * 3)
            .Select(i => new OrderRecord(Placement(new OrderId($"o-{i:D5}"), Start.AddSeconds(-i % 17))))
            .ToArray();
        foreach (var record in records.Reverse())
        {
            index.Add(record);
        }

        foreach (var record in records)
        {
            index.Add(record);
        }

        Assert.Equal(records.Length, index.Count);
        var expected = records.Select(r => r.Current).OrderByDescending(o => o.PlacedAt).ThenByDescending(o => o.Id.Value, StringComparer.Ordinal);
        Assert.Equal(Ids(expected), Ids(index.List(null, null, int.MaxValue)));
    }

    [Fact]
    public async Task Events_built_by_hand_come_back_exactly_as_appended()
    {
        var store = new InMemoryOrderStore();
        var id = new OrderId("o-1");
        var india = new DateTimeOffset(2026, 11, 23, 17, 30, 0, TimeSpan.FromHours(5.5));
        var lines = new List<OrderLine>(OneLine);
        // Placed without shipping: the order holds zero shipping, so this event cannot be rebuilt from the order.
        var placed = new OrderEvent(id, 1, Guid.NewGuid(), OrderEventType.Placed, new CommandId("c-1"), "me", "why", india, null, OrderState.AwaitingPayment)
        {
            Buyer = new BuyerId("buyer-1"),
            Lines = lines,
            Tax = new Money(5, Currency.USD),
        };
        var order = await AppendAsync(store, null, placed);
        var events = new List<OrderEvent>
        {
            placed,
            Event(order, OrderEventType.Paid, OrderState.Paid, india) with { PaymentId = new PaymentId("pay-1"), Seller = new SellerId("seller-a") },
        };
        order = await AppendAsync(store, order, events[^1]);
        events.Add(Event(order, OrderEventType.Paid, OrderState.Paid, india) with { PaymentId = default(PaymentId), Reason = "odd" });
        order = await AppendAsync(store, order, events[^1]);
        events.Add(Event(order, OrderEventType.Cancelled, OrderState.Cancelled, india) with { Amount = new Money(3, Currency.KWD), TrackingNumber = "T" });
        order = await AppendAsync(store, order, events[^1]);
        events.Add(Event(order, OrderEventType.Refunded, OrderState.Refunded, india.AddTicks(1)) with { Amount = new Money(7, Currency.JPY) });
        order = await AppendAsync(store, order, events[^1]);
        events.Add(Event(order, OrderEventType.FulfilmentShipped, OrderState.Shipped, Start) with { Seller = new SellerId("seller-a"), TrackingNumber = "Colis n°1" });
        order = await AppendAsync(store, order, events[^1]);
        events.Add(Event(order, (OrderEventType)300, (OrderState)(-1), Start) with { Seller = default(SellerId) });
        await AppendAsync(store, order, events[^1]);

        var history = await store.ReadHistoryAsync(id, default);
        Assert.Equal(events, history);
        Assert.All(history, e => Assert.Equal(events[(int)e.Version - 1].OccurredAt.Offset, e.OccurredAt.Offset));
        Assert.Same(lines, history[0].Lines);
    }

    [Fact]
    public async Task A_compact_placed_event_survives_an_append_that_changes_the_orders_lines()
    {
        var store = new InMemoryOrderStore();
        var placement = Placement(new OrderId("o-1"), Start);
        var placed = await AppendAsync(store, null, placement.Event);
        var paid = Event(placed, OrderEventType.Paid, OrderState.Paid, Start);
        // An order OrderService would never build: other lines, other buyer, other shipping after the payment.
        OrderLine[] otherLines = [OneLine[0] with { Quantity = 5 }];
        var odd = new Order(placed.Id, new BuyerId("someone-else"), Currency.USD, otherLines, new Money(9, Currency.USD), placed.Tax, OrderState.Paid,
            placed.Fulfilments, 2, placed.PlacedAt, Start, placed.Refunded, null, null);
        Assert.Equal(AppendStatus.Appended, (await store.AppendAsync(new OrderAppend(paid, odd, Guid.NewGuid()), default)).Status);

        Assert.Equal([placement.Event, paid], await store.ReadHistoryAsync(placed.Id, default));
        Assert.Same(placement.Event.Lines, (await store.ReadHistoryAsync(placed.Id, default))[0].Lines);
    }

    [Fact]
    public async Task Commands_are_found_at_every_history_length()
    {
        var store = new InMemoryOrderStore();
        var placement = Placement(new OrderId("o-1"), Start);
        var order = await AppendAsync(store, null, placement.Event, placement.Fingerprint);
        var fingerprints = new List<Guid> { placement.Fingerprint };
        for (var version = 2; version <= OrderRecord.DictionaryThreshold * 3; version++)
        {
            var fingerprint = Guid.NewGuid();
            order = await AppendAsync(store, order, Event(order, OrderEventType.Refunded, OrderState.PartiallyRefunded, Start) with { Amount = new Money(1, Currency.USD) }, fingerprint);
            fingerprints.Add(fingerprint);
            for (var v = 1; v <= version; v++)
            {
                var loaded = await store.LoadAsync(order.Id, new CommandId($"c-{v}"), default);
                Assert.Equal(new RecordedCommand(v, fingerprints[v - 1]), loaded.Command);
            }

            Assert.Null((await store.LoadAsync(order.Id, new CommandId($"c-{version + 1}"), default)).Command);
            var again = await store.AppendAsync(new OrderAppend(Event(order, OrderEventType.Paid, OrderState.Paid, Start) with { CommandId = new CommandId("c-1") }, order, Guid.Empty), default);
            Assert.Equal(new AppendResult(AppendStatus.CommandRecorded, new RecordedCommand(1, placement.Fingerprint)), again);
        }

        Assert.Equal(OrderRecord.DictionaryThreshold * 3, (await store.ReadHistoryAsync(order.Id, default)).Count);
    }

    [Fact]
    public async Task A_command_records_its_events_version_even_when_a_hand_made_history_skips_versions()
    {
        var store = new InMemoryOrderStore();
        var placement = Placement(new OrderId("o-1"), Start);
        var placed = await AppendAsync(store, null, placement.Event);
        // An order that claims version 6 after the second event: the next event must be version 7.
        var second = Event(placed, OrderEventType.Paid, OrderState.Paid, Start);
        var skipped = placed.With(OrderState.Paid, 6, Start);
        Assert.Equal(AppendStatus.Appended, (await store.AppendAsync(new OrderAppend(second, skipped, Guid.NewGuid()), default)).Status);
        var seventh = Event(skipped, OrderEventType.Cancelled, OrderState.Cancelled, Start);
        var fingerprint = Guid.NewGuid();
        await AppendAsync(store, skipped, seventh, fingerprint);

        Assert.Equal(new RecordedCommand(7, fingerprint), (await store.LoadAsync(placed.Id, seventh.CommandId, default)).Command);
        Assert.Equal([placement.Event, second, seventh], await store.ReadHistoryAsync(placed.Id, default));
    }

    private static OrderAppend Placement(OrderId id, DateTimeOffset at, string buyer = "buyer-1", params string[] sellers)
    {
        OrderLine[] lines = sellers.Length == 0 ? OneLine : [.. sellers.Select((s, i) => new OrderLine(new Sku($"sku-{i}"), new SellerId(s), 1, new Money(1_000, Currency.USD)))];
        var change = new OrderEvent(id, 1, Guid.NewGuid(), OrderEventType.Placed, new CommandId("c-1"), "checkout", null, at, null, OrderState.AwaitingPayment)
        {
            Buyer = new BuyerId(buyer),
            Lines = lines,
            Shipping = Money.Zero(Currency.USD),
            Tax = Money.Zero(Currency.USD),
        };
        return new OrderAppend(change, OrderEvolution.Apply(null, change), Guid.NewGuid());
    }

    private static async Task<Order> PlaceAsync(InMemoryOrderStore store, string id, string buyer, DateTimeOffset at, string[] sellers)
    {
        var placement = Placement(new OrderId(id), at, buyer, sellers);
        Assert.Equal(AppendStatus.Appended, (await store.AppendAsync(placement, default)).Status);
        return placement.Order;
    }

    /// <summary>The next event of an order, command id c-{version}.</summary>
    private static OrderEvent Event(Order order, OrderEventType type, OrderState to, DateTimeOffset at) =>
        new(order.Id, order.Version + 1, Guid.NewGuid(), type, new CommandId($"c-{order.Version + 1}"), "someone", null, at, order.State, to);

    private static async Task<Order> AppendAsync(InMemoryOrderStore store, Order? order, OrderEvent change, Guid? fingerprint = null)
    {
        // Hand-built events need not follow the state machine nor evolve an order: the store keeps what it is given.
        var next = order is null ? OrderEvolution.Apply(null, change) : order.With(change.ToState, change.Version, change.OccurredAt);
        Assert.Equal(AppendStatus.Appended, (await store.AppendAsync(new OrderAppend(change, next, fingerprint ?? Guid.NewGuid()), default)).Status);
        return next;
    }

    private static async Task<List<Order>> PageAllAsync(Func<OrderCursor?, int, ValueTask<IReadOnlyList<Order>>> list, int pageSize)
    {
        var all = new List<Order>();
        OrderCursor? after = null;
        while (true)
        {
            var page = await list(after, pageSize);
            Assert.True(page.Count <= pageSize);
            all.AddRange(page);
            if (page.Count < pageSize)
            {
                return all;
            }

            after = new OrderCursor(page[^1].PlacedAt, page[^1].Id);
        }
    }

    private static List<string> Ids(IEnumerable<Order> orders) => [.. orders.Select(o => o.Id.Value)];
}
