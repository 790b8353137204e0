namespace Commerce.Ordering.Conformance;

public abstract partial class OrderStoreConformance
{
    [Fact]
    public async Task A_buyers_orders_come_newest_first_a_page_at_a_time()
    {
        var placed = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            // Pairs share a timestamp, so ids must break the tie the same way on every store.
            if (i % 2 == 0)
            {
                Time.Advance(TimeSpan.FromSeconds(1));
            }

            await PlaceAsync($"o-{i}", "buyer-1");
            placed.Add($"o-{i}");
        }

        await PlaceAsync("other", "buyer-2");
        var byTimeThenId = (await Task.WhenAll(placed.Select(id => Orders.GetAsync(new OrderId(id)).AsTask())))
            .OrderByDescending(o => o!.PlacedAt).ThenByDescending(o => o!.Id).Select(o => o!.Id.Value).ToList();

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Orders.ListByBuyerAsync(new BuyerId("buyer-1"), pageSize: 3, pageToken: token);
            Assert.True(page.Orders.Count <= 3);
            seen.AddRange(page.Orders.Select(o => o.Id.Value));
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(byTimeThenId, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task A_sellers_orders_can_be_filtered_by_state_and_paged()
    {
        for (var i = 0; i < 5; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            await PlaceAsync($"o-{i}", "buyer-1", "seller-a", $"seller-{i}");
            if (i % 2 == 0)
            {
                await ApplyAsync(new MarkPaid(new OrderId($"o-{i}"), NextCommandId(), "checkout"));
            }
        }

        await PlaceAsync("not-mine", "buyer-1", "seller-z");

        var paid = await Orders.ListBySellerAsync(new SellerId("seller-a"), OrderState.Paid, pageSize: 2);
        Assert.Equal(["o-4", "o-2"], paid.Orders.Select(o => o.Id.Value));
        var rest = await Orders.ListBySellerAsync(new SellerId("seller-a"), OrderState.Paid, pageSize: 2, pageToken: paid.NextPageToken);
        Assert.Equal(["o-0"], rest.Orders.Select(o => o.Id.Value));
        Assert.Null(rest.NextPageToken);

        var all = await Orders.ListBySellerAsync(new SellerId("seller-a"));
        Assert.Equal(["o-4", "o-3", "o-2", "o-1", "o-0"], all.Orders.Select(o => o.Id.Value));
        Assert.Equal(["o-3"], (await Orders.ListBySellerAsync(new SellerId("seller-3"))).Orders.Select(o => o.Id.Value));
        Assert.Empty((await Orders.ListBySellerAsync(new SellerId("seller-3"), OrderState.Paid)).Orders);
        Assert.Empty((await Orders.ListBySellerAsync(new SellerId("nobody"))).Orders);

        // The listed orders are the live ones: a state change shows in the next query.
        await ApplyAsync(new CancelOrder(new OrderId("o-4"), NextCommandId(), "buyer-1"));
        Assert.Equal(["o-2", "o-0"], (await Orders.ListBySellerAsync(new SellerId("seller-a"), OrderState.Paid)).Orders.Select(o => o.Id.Value));
        Assert.Equal((await Orders.GetAsync(new OrderId("o-4")))!, Assert.Single((await Orders.ListBySellerAsync(new SellerId("seller-a"), OrderState.Cancelled)).Orders));
    }

    [Fact]
    public async Task Malformed_page_requests_are_refused()
    {
        await AssertErrorAsync(OrderingErrorCodes.InvalidPage, () => Orders.ListByBuyerAsync(new BuyerId("b"), pageToken: "not a token!").AsTask());
        await AssertErrorAsync(OrderingErrorCodes.InvalidPage, () => Orders.ListByBuyerAsync(new BuyerId("b"), pageSize: 0).AsTask());
        await AssertErrorAsync(OrderingErrorCodes.InvalidPage, () => Orders.ListBySellerAsync(new SellerId("s"), pageSize: 100_000).AsTask());
    }
}
