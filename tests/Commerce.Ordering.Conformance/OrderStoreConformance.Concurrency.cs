namespace Commerce.Ordering.Conformance;

public abstract partial class OrderStoreConformance
{
    [Fact]
    public async Task A_stale_expected_version_is_a_conflict_that_writes_nothing()
    {
        var placed = await PlaceAsync("o-1");
        var paid = await ApplyAsync(new MarkPaid(placed.Id, NextCommandId(), "checkout") { ExpectedVersion = 1 });
        await DrainOutboxAsync();

        var stale = await Orders.ExecuteAsync(new CancelOrder(placed.Id, NextCommandId(), "buyer-1") { ExpectedVersion = 1 });

        Assert.Equal(OrderingErrorCodes.VersionConflict, stale.Error?.Code);
        Assert.Equal(paid, stale.Order);
        await AssertUnchangedAsync(paid, "o-1");
    }

    [Fact]
    public async Task Concurrent_writers_without_expected_versions_all_land_in_one_gapless_history()
    {
        var sellers = Enumerable.Range(0, 12).Select(i => $"seller-{i:D2}").ToArray();
        var paid = await PlacePaidAsync("o-1", sellers);

        var results = await RunTogetherAsync(sellers.Select(s => (Func<Task<OrderResult>>)(() =>
            Orders.ExecuteAsync(new ShipFulfilment(paid.Id, NextCommandId(), s, new SellerId(s), $"T-{s}")).AsTask())));

        Assert.All(results, r => Assert.True(r is { IsSuccess: true, IsReplay: false }, r.ToString()));
        var order = (await Orders.GetAsync(paid.Id))!;
        Assert.Equal((OrderState.Shipped, 2L + sellers.Length), (order.State, order.Version));
        Assert.All(order.Fulfilments, f => Assert.Equal($"T-{f.Seller}", f.TrackingNumber));
        var history = await Orders.ReadHistoryAsync(paid.Id);
        Assert.Equal(Enumerable.Range(1, history.Count).Select(v => (long)v), history.Select(e => e.Version));
        Assert.Equal(order, Order.FromHistory(history));
        Assert.Equal(Enumerable.Repeat(OrderState.PartiallyShipped, sellers.Length - 1).Append(OrderState.Shipped), history.Skip(2).Select(e => e.ToState));
    }

    [Fact]
    public async Task Concurrent_writers_on_the_same_expected_version_have_exactly_one_winner()
    {
        var sellers = Enumerable.Range(0, 8).Select(i => $"seller-{i}").ToArray();
        var paid = await PlacePaidAsync("o-1", sellers);

        var results = await RunTogetherAsync(sellers.Select(s => (Func<Task<OrderResult>>)(() =>
            Orders.ExecuteAsync(new ShipFulfilment(paid.Id, NextCommandId(), s, new SellerId(s), "T") { ExpectedVersion = paid.Version }).AsTask())));

        Assert.Single(results, r => r.IsSuccess);
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal(OrderingErrorCodes.VersionConflict, r.Error!.Code));
        Assert.Equal(paid.Version + 1, (await Orders.GetAsync(paid.Id))!.Version);
    }

    [Fact]
    public async Task A_payment_racing_a_cancellation_never_loses_money()
    {
        for (var round = 0; round < 25; round++)
        {
            var placed = await PlaceAsync($"o-{round}");
            var outcomes = await RunTogetherAsync<OrderResult>(
            [
                () => Orders.ExecuteAsync(new MarkPaid(placed.Id, NextCommandId(), "psp")).AsTask(),
                () => Orders.ExecuteAsync(new CancelOrder(placed.Id, NextCommandId(), "buyer")).AsTask(),
            ]);
            var (paid, cancelled) = (outcomes[0], outcomes[1]);

            Assert.True(cancelled.IsSuccess, cancelled.ToString());
            var order = (await Orders.GetAsync(placed.Id))!;
            Assert.Equal(OrderState.Cancelled, order.State);
            // Paid first: the cancellation asks for the money back. Cancelled first: the payment was refused.
            Assert.Equal(paid.IsSuccess ? placed.Total : null, order.RefundRequested);
            Assert.Equal(paid.IsSuccess ? null : OrderingErrorCodes.InvalidTransition, paid.Error?.Code);
        }
    }
}
