namespace Commerce.Ordering.Conformance;

public abstract partial class OrderStoreConformance
{
    [Fact]
    public async Task Every_change_has_exactly_one_outbox_event_carrying_the_history_events_id_in_version_order()
    {
        var id = new OrderId("o-1");
        await PlacePaidAsync("o-1", "seller-a", "seller-b");
        await ApplyAsync(new ShipFulfilment(id, NextCommandId(), "seller-b", new SellerId("seller-b"), "TB") { Reason = "same day" });
        await PlaceAsync("o-2", "buyer-2");

        var published = await DrainOutboxAsync();
        var history = (await Orders.ReadHistoryAsync(id)).Concat(await Orders.ReadHistoryAsync(new OrderId("o-2"))).ToList();

        Assert.Equal(history.Select(e => e.EventId).Order(), published.Select(e => e.EventId).Order());
        Assert.Equal([1L, 2, 3], published.Where(e => e.StreamId == "o-1").Select(e => Payload(e).Version));
        var shipped = published.Single(e => e.EventType == OrderEventTypes.FulfilmentShipped);
        var payload = Payload(shipped);
        Assert.Equal(("o-1", "seller-b", "TB", "same day", "paid", "partially_shipped"),
            (payload.OrderId, payload.SellerId, payload.TrackingNumber, payload.Reason, payload.FromState, payload.ToState));
        Assert.Equal(history.Single(e => e.Type == OrderEventType.FulfilmentShipped).OccurredAt, shipped.OccurredAt);
        var placed = Payload(published.First(e => e.StreamId == "o-2"));
        Assert.Equal(("buyer-2", "USD", 1), (placed.BuyerId, placed.Currency, placed.Lines!.Count));
    }

    [Fact]
    public async Task The_history_rebuilds_the_order_exactly()
    {
        var id = new OrderId("o-1");
        await PlaceAsync("o-1", "buyer-1", "seller-a", "seller-b");
        await ApplyAsync(new MarkPaid(id, NextCommandId(), "checkout") { PaymentId = new PaymentId("p-1") });
        Time.Advance(TimeSpan.FromTicks(12_345_678)); // sub-millisecond times survive the round trip
        await ApplyAsync(new ShipFulfilment(id, NextCommandId(), "seller-a", new SellerId("seller-a"), "TA"));
        await ApplyAsync(new ShipFulfilment(id, NextCommandId(), "seller-b", new SellerId("seller-b"), "TB"));
        await ApplyAsync(new DeliverFulfilment(id, NextCommandId(), "carrier", new SellerId("seller-a")));
        await ApplyAsync(new DeliverFulfilment(id, NextCommandId(), "carrier", new SellerId("seller-b")));
        await ApplyAsync(new RefundOrder(id, NextCommandId(), "support", Usd(250)) { Reason = "late" });

        var history = await Orders.ReadHistoryAsync(id);
        var order = await Orders.GetAsync(id);

        Assert.Equal(order, Order.FromHistory(history));
        Assert.Equal(OrderState.PartiallyRefunded, order!.State);
    }
}
