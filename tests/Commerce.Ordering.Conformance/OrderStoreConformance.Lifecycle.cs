namespace Commerce.Ordering.Conformance;

public abstract partial class OrderStoreConformance
{
    [Fact]
    public async Task Placing_splits_the_order_into_one_pending_fulfilment_per_seller_with_its_totals()
    {
        var place = Placement("o-1", "buyer-1", Line("sku-1", "seller-b", 2, 1_250), Line("sku-2", "seller-a", 1, 500), Line("sku-3", "seller-b", 3, 100))
            with
        { Shipping = Usd(499), Tax = Usd(321) };

        var order = Applied(await Orders.ExecuteAsync(place));

        Assert.Equal(OrderState.AwaitingPayment, order.State);
        Assert.Equal(1, order.Version);
        Assert.Equal(Currency.USD, order.Currency);
        Assert.Equal(Usd(3_300), order.Subtotal);
        Assert.Equal(Usd(3_300 + 499 + 321), order.Total);
        Assert.Equal(["seller-a", "seller-b"], order.Fulfilments.Select(f => f.Seller.Value));
        Assert.All(order.Fulfilments, f => Assert.Equal(FulfilmentState.Pending, f.State));
        Assert.Equal(order, await Orders.GetAsync(new OrderId("o-1")));
    }

    [Fact]
    public async Task An_order_can_start_pending_and_be_sent_to_payment_later()
    {
        var order = Applied(await Orders.ExecuteAsync(Placement("o-1", "buyer-1", Line("sku-1", "seller-a")) with { AwaitPayment = false }));
        Assert.Equal(OrderState.Pending, order.State);

        order = await ApplyAsync(new RequestPayment(order.Id, NextCommandId(), "checkout"));
        Assert.Equal(OrderState.AwaitingPayment, order.State);
    }

    [Fact]
    public async Task A_single_seller_order_goes_through_payment_shipping_delivery_return_and_refund_with_every_step_recorded()
    {
        var id = new OrderId("o-1");
        await PlaceAsync("o-1");
        Time.Advance(TimeSpan.FromMinutes(1));
        var paid = await ApplyAsync(new MarkPaid(id, new CommandId("pay-1"), "checkout") { PaymentId = new PaymentId("pay-77"), Reason = "captured" });
        Assert.Equal(OrderState.Paid, paid.State);
        Assert.Equal(new PaymentId("pay-77"), paid.PaymentId);

        Time.Advance(TimeSpan.FromHours(3));
        var shipped = await ApplyAsync(new ShipFulfilment(id, new CommandId("ship-1"), "seller-a", new SellerId("seller-a"), "TRACK-1"));
        Assert.Equal(OrderState.Shipped, shipped.State);
        var fulfilment = Assert.Single(shipped.Fulfilments);
        Assert.Equal((FulfilmentState.Shipped, "TRACK-1", Time.GetUtcNow()), (fulfilment.State, fulfilment.TrackingNumber, fulfilment.ShippedAt!.Value));

        Time.Advance(TimeSpan.FromDays(2));
        var delivered = await ApplyAsync(new DeliverFulfilment(id, NextCommandId(), "carrier", new SellerId("seller-a")));
        Assert.Equal(OrderState.Delivered, delivered.State);
        Assert.Equal(Time.GetUtcNow(), delivered.Fulfilments[0].DeliveredAt);

        Assert.Equal(OrderState.ReturnRequested, (await ApplyAsync(new RequestReturn(id, NextCommandId(), "buyer-1") { Reason = "wrong size" })).State);
        Assert.Equal(OrderState.Returned, (await ApplyAsync(new ReceiveReturn(id, NextCommandId(), "seller-a"))).State);
        var refunded = await ApplyAsync(new RefundOrder(id, NextCommandId(), "support", delivered.Total));
        Assert.Equal(OrderState.Refunded, refunded.State);
        Assert.Equal(refunded.Total, refunded.Refunded);

        var history = await Orders.ReadHistoryAsync(id);
        Assert.Equal(
            [OrderEventType.Placed, OrderEventType.Paid, OrderEventType.FulfilmentShipped, OrderEventType.FulfilmentDelivered,
             OrderEventType.ReturnRequested, OrderEventType.ReturnReceived, OrderEventType.Refunded],
            history.Select(e => e.Type));
        Assert.Equal(Enumerable.Range(1, 7).Select(v => (long)v), history.Select(e => e.Version));
        Assert.Equal([null, OrderState.AwaitingPayment, OrderState.Paid, OrderState.Shipped, OrderState.Delivered, OrderState.ReturnRequested, OrderState.Returned],
            history.Select(e => e.FromState));
        var payment = history[1];
        Assert.Equal(("checkout", "captured", new CommandId("pay-1")), (payment.Actor, payment.Reason, payment.CommandId));
        Assert.Equal("wrong size", history[4].Reason);
        Assert.Equal(refunded, Order.FromHistory(history));
    }

    [Fact]
    public async Task A_multi_seller_order_derives_its_state_from_its_fulfilments()
    {
        var id = new OrderId("o-1");
        await PlacePaidAsync("o-1", "seller-a", "seller-b");
        SellerId a = new("seller-a"), b = new("seller-b");

        var order = await ApplyAsync(new ShipFulfilment(id, NextCommandId(), "seller-a", a, "TA"));
        Assert.Equal(OrderState.PartiallyShipped, order.State);
        Assert.Equal(FulfilmentState.Pending, order.FindFulfilment(b)!.State);

        order = await ApplyAsync(new DeliverFulfilment(id, NextCommandId(), "carrier", a));
        Assert.Equal(OrderState.PartiallyShipped, order.State);

        order = await ApplyAsync(new ShipFulfilment(id, NextCommandId(), "seller-b", b, "TB"));
        Assert.Equal(OrderState.Shipped, order.State);

        order = await ApplyAsync(new DeliverFulfilment(id, NextCommandId(), "carrier", b));
        Assert.Equal(OrderState.Delivered, order.State);
        Assert.Equal([FulfilmentState.Delivered, FulfilmentState.Delivered], order.Fulfilments.Select(f => f.State));
        Assert.Equal(["TA", "TB"], order.Fulfilments.Select(f => f.TrackingNumber));
    }

    [Fact]
    public async Task Cancelling_a_paid_order_emits_a_refund_request_of_the_amount_paid()
    {
        var paid = await PlacePaidAsync("o-1");
        await DrainOutboxAsync();

        var result = await Orders.ExecuteAsync(new CancelOrder(paid.Id, NextCommandId(), "buyer-1") { Reason = "changed my mind" });

        var cancelled = Applied(result);
        Assert.Equal(OrderState.Cancelled, cancelled.State);
        Assert.Equal(paid.Total, cancelled.RefundRequested);
        Assert.Equal(paid.Total, result.Event!.Amount);
        var published = Assert.Single(await DrainOutboxAsync());
        Assert.Equal(OrderEventTypes.Cancelled, published.EventType);
        Assert.Equal(paid.Total.MinorUnits, Payload(published).RefundRequested);
        Assert.Equal("USD", Payload(published).Currency);
    }

    [Fact]
    public async Task Cancelling_before_payment_requests_no_refund()
    {
        var placed = await PlaceAsync("o-1");

        var cancelled = await ApplyAsync(new CancelOrder(placed.Id, NextCommandId(), "checkout"));

        Assert.Equal(OrderState.Cancelled, cancelled.State);
        Assert.Null(cancelled.RefundRequested);
        Assert.Null(Payload((await DrainOutboxAsync())[^1]).RefundRequested);
    }

    [Fact]
    public async Task An_undeclared_move_is_refused_naming_from_and_to_and_writes_nothing()
    {
        var placed = await PlaceAsync("o-1");
        await DrainOutboxAsync();

        var result = await Orders.ExecuteAsync(new ShipFulfilment(placed.Id, NextCommandId(), "seller-a", new SellerId("seller-a"), "T1"));

        Assert.False(result.IsSuccess);
        Assert.Equal(OrderingErrorCodes.InvalidTransition, result.Error!.Code);
        Assert.Contains("awaiting_payment", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("shipped", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(OrderState.Shipped, result.AttemptedState);
        Assert.Equal(placed, result.Order);
        await AssertUnchangedAsync(placed, "o-1");
    }

    [Fact]
    public async Task Cancelled_and_refunded_orders_are_terminal()
    {
        var cancelled = await ApplyAsync(new CancelOrder((await PlaceAsync("o-1")).Id, NextCommandId(), "checkout"));
        var pay = await Orders.ExecuteAsync(new MarkPaid(cancelled.Id, NextCommandId(), "checkout"));
        Assert.Equal(OrderingErrorCodes.InvalidTransition, pay.Error?.Code);
        Assert.Contains("from cancelled to paid", pay.Error!.Message, StringComparison.Ordinal);

        var refunded = await ApplyAsync(new RefundOrder(new OrderId("o-2"), NextCommandId(), "support", (await PlacePaidAsync("o-2")).Total));
        Assert.Equal(OrderState.Refunded, refunded.State);
        var again = await Orders.ExecuteAsync(new CancelOrder(refunded.Id, NextCommandId(), "support"));
        Assert.Equal(OrderingErrorCodes.InvalidTransition, again.Error?.Code);
        Assert.Equal(OrderState.Cancelled, again.AttemptedState);
    }

    [Fact]
    public async Task Shipping_a_fulfilment_twice_is_refused_naming_the_fulfilment_states()
    {
        var id = new OrderId("o-1");
        await PlacePaidAsync("o-1", "seller-a", "seller-b");
        var shipped = await ApplyAsync(new ShipFulfilment(id, NextCommandId(), "seller-a", new SellerId("seller-a"), "T1"));
        await DrainOutboxAsync();

        var again = await Orders.ExecuteAsync(new ShipFulfilment(id, NextCommandId(), "seller-a", new SellerId("seller-a"), "T2"));

        Assert.Equal(OrderingErrorCodes.InvalidTransition, again.Error?.Code);
        Assert.Contains("from shipped to shipped", again.Error!.Message, StringComparison.Ordinal);
        await AssertUnchangedAsync(shipped, "o-1");
    }

    [Fact]
    public async Task Partial_refunds_add_up_to_a_full_refund_and_never_beyond_the_total()
    {
        var paid = await PlacePaidAsync("o-1");
        var partial = await ApplyAsync(new RefundOrder(paid.Id, NextCommandId(), "support", Usd(300)));
        Assert.Equal((OrderState.PartiallyRefunded, Usd(300)), (partial.State, partial.Refunded));
        await DrainOutboxAsync();

        await AssertErrorAsync(OrderingErrorCodes.RefundExceedsTotal,
            () => Orders.ExecuteAsync(new RefundOrder(paid.Id, NextCommandId(), "support", Usd(paid.Total.MinorUnits - 299))).AsTask());
        await AssertUnchangedAsync(partial, "o-1");

        var full = await ApplyAsync(new RefundOrder(paid.Id, NextCommandId(), "support", Usd(paid.Total.MinorUnits - 300)));
        Assert.Equal((OrderState.Refunded, paid.Total), (full.State, full.Refunded));
    }

    [Fact]
    public async Task The_placed_lines_are_the_orders_own_copy()
    {
        var lines = new[] { Line("sku-1", "seller-a", 2, 1_000), Line("sku-2", "seller-b") };
        var placed = Applied(await Orders.ExecuteAsync(Placement("o-1", "buyer-1", lines)));

        lines[0] = Line("sku-9", "seller-z", 9, 9);
        Array.Resize(ref lines, 1);

        var order = (await Orders.GetAsync(new OrderId("o-1")))!;
        Assert.Equal(["sku-1", "sku-2"], order.Lines.Select(l => l.Sku.Value));
        Assert.Equal(placed, order);
        Assert.Equal(Usd(3_000), order.Subtotal);
        var history = await Orders.ReadHistoryAsync(new OrderId("o-1"));
        Assert.Equal(["sku-1", "sku-2"], history[0].Lines!.Select(l => l.Sku.Value));
    }
}
