namespace Commerce.Ordering.Conformance;

public abstract partial class OrderStoreConformance
{
    [Fact]
    public async Task Repeating_a_command_returns_its_first_outcome_and_records_nothing_new()
    {
        var placed = await PlaceAsync("o-1");
        var pay = new MarkPaid(placed.Id, new CommandId("pay-1"), "checkout") { ExpectedVersion = 1 };
        var paid = await ApplyAsync(pay);
        await DrainOutboxAsync();

        // Even with the version it was first sent with, now stale: a retry must not look like a conflict.
        var replay = await Orders.ExecuteAsync(pay);

        Assert.True(replay.IsSuccess);
        Assert.True(replay.IsReplay);
        Assert.Null(replay.Event);
        Assert.Equal(paid, replay.Order);
        await AssertUnchangedAsync(paid, "o-1");
    }

    [Fact]
    public async Task Repeating_a_placement_is_a_replay_and_another_placement_of_the_same_id_is_refused()
    {
        var place = Placement("o-1", "buyer-1", Line("sku-1", "seller-a"));
        var placed = Applied(await Orders.ExecuteAsync(place));
        await DrainOutboxAsync();

        var replay = await Orders.ExecuteAsync(place with { Actor = "retry" });
        Assert.True(replay.IsReplay);
        Assert.Equal(placed, replay.Order);

        await AssertErrorAsync(OrderingErrorCodes.OrderAlreadyExists, () => Orders.ExecuteAsync(Placement("o-1", "buyer-2", Line("sku-9", "seller-z"))).AsTask());
        await AssertUnchangedAsync(placed, "o-1");
    }

    [Fact]
    public async Task A_command_id_reused_for_a_different_command_is_refused_and_writes_nothing()
    {
        var paid = await PlacePaidAsync("o-1", "seller-a", "seller-b");
        var shipped = await ApplyAsync(new ShipFulfilment(paid.Id, new CommandId("c-1"), "seller-a", new SellerId("seller-a"), "T1"));
        await DrainOutboxAsync();

        await AssertErrorAsync(OrderingErrorCodes.CommandIdReused,
            () => Orders.ExecuteAsync(new ShipFulfilment(paid.Id, new CommandId("c-1"), "seller-b", new SellerId("seller-b"), "T2")).AsTask());
        await AssertErrorAsync(OrderingErrorCodes.CommandIdReused,
            () => Orders.ExecuteAsync(new CancelOrder(paid.Id, new CommandId("c-1"), "seller-b")).AsTask());
        await AssertUnchangedAsync(shipped, "o-1");
    }

    [Fact]
    public async Task Command_ids_are_scoped_to_their_order()
    {
        await PlaceAsync("o-1");
        await PlaceAsync("o-2");

        var first = await Orders.ExecuteAsync(new MarkPaid(new OrderId("o-1"), new CommandId("pay"), "checkout"));
        var second = await Orders.ExecuteAsync(new MarkPaid(new OrderId("o-2"), new CommandId("pay"), "checkout"));

        Assert.False(first.IsReplay);
        Assert.False(second.IsReplay);
        Assert.Equal(OrderState.Paid, second.Order!.State);
    }

    [Fact]
    public async Task A_refused_command_records_nothing_so_its_id_stays_free_for_a_retry()
    {
        var placed = await PlaceAsync("o-1");
        var ship = new ShipFulfilment(placed.Id, new CommandId("ship-1"), "seller-a", new SellerId("seller-a"), "T1");
        Assert.Equal(OrderingErrorCodes.InvalidTransition, (await Orders.ExecuteAsync(ship)).Error?.Code);

        await ApplyAsync(new MarkPaid(placed.Id, NextCommandId(), "checkout"));
        var shipped = await ApplyAsync(ship);

        Assert.Equal(OrderState.Shipped, shipped.State);
    }

    [Fact]
    public async Task Concurrent_copies_of_one_command_apply_it_exactly_once()
    {
        for (var round = 0; round < 20; round++)
        {
            var id = $"o-{round}";
            var place = Placement(id, "buyer-1", Line("sku-1", "seller-a"), Line("sku-2", "seller-b"));
            var pay = new MarkPaid(new OrderId(id), new CommandId("pay"), "checkout");
            var ship = new ShipFulfilment(new OrderId(id), new CommandId("ship"), "seller-a", new SellerId("seller-a"), "T");

            foreach (var command in new OrderCommand[] { place, pay, ship })
            {
                var results = await RunTogetherAsync(Enumerable.Range(0, 8).Select(_ => (Func<Task<OrderResult>>)(() => Orders.ExecuteAsync(command).AsTask())));
                Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
                Assert.Single(results, r => !r.IsReplay);
            }

            var history = await Orders.ReadHistoryAsync(new OrderId(id));
            Assert.Equal([OrderEventType.Placed, OrderEventType.Paid, OrderEventType.FulfilmentShipped], history.Select(e => e.Type));
        }

        Assert.Equal(60, (await DrainOutboxAsync()).Count);
    }

    [Fact]
    public async Task Every_command_of_a_long_history_is_recognised_on_replay_and_on_reuse()
    {
        // 12 sellers: place, pay, 12 ships, 12 deliveries, 3 refunds: 29 events, past any small inline capacity.
        var sellers = Enumerable.Range(0, 12).Select(i => $"seller-{i:00}").ToArray();
        var id = new OrderId("o-1");
        var commands = new List<OrderCommand> { Placement("o-1", "buyer-1", [.. sellers.Select((s, i) => Line($"sku-{i}", s))]) };
        commands.Add(new MarkPaid(id, NextCommandId(), "checkout") { PaymentId = new PaymentId("pay-1") });
        commands.AddRange(sellers.Select(s => new ShipFulfilment(id, NextCommandId(), s, new SellerId(s), $"T-{s}")));
        commands.AddRange(sellers.Select(s => new DeliverFulfilment(id, NextCommandId(), "carrier", new SellerId(s))));
        commands.AddRange(Enumerable.Range(0, 3).Select(_ => new RefundOrder(id, NextCommandId(), "support", Usd(100)) { Reason = "partial" }));

        // Compared as their JSON bodies: a store may hand back equal lines in new instances.
        var events = new List<string>();
        foreach (var command in commands)
        {
            var result = await Orders.ExecuteAsync(command);
            Assert.True(result is { IsSuccess: true, IsReplay: false }, result.ToString());
            events.Add(OrderEventSerializer.SerializeToString(result.Event!));
            Assert.Equal(events, (await Orders.ReadHistoryAsync(id)).Select(OrderEventSerializer.SerializeToString));
        }

        var order = (await Orders.GetAsync(id))!;
        Assert.Equal(order, Order.FromHistory(await Orders.ReadHistoryAsync(id)));
        await DrainOutboxAsync();
        foreach (var command in commands)
        {
            var replay = await Orders.ExecuteAsync(command with { Actor = "retry" });
            Assert.True(replay.IsReplay, replay.ToString());
            Assert.Equal(order, replay.Order);
        }

        foreach (var command in commands)
        {
            await AssertErrorAsync(OrderingErrorCodes.CommandIdReused,
                () => Orders.ExecuteAsync(new RefundOrder(id, command.CommandId, "support", Usd(1))).AsTask());
        }

        await AssertUnchangedAsync(order, "o-1");
    }
}
