using Commerce.Events;
using Commerce.Ordering;
using Commerce.Payments;
using Commerce.Payments.Providers.Simulated;

namespace Commerce.Checkout.Tests;

public sealed class PaymentOutcomeTests
{
    [Fact]
    public async Task An_unknown_outcome_waits_for_the_resolver_then_completes()
    {
        await using var h = CheckoutHarness.Create();
        var sku = await h.SkuAsync(5);
        var request = h.Request(sku, 2, token: SimulatedPaymentProvider.LostResponseToken);

        var pending = await h.Checkout.CheckoutAsync(request);

        Assert.Equal(CheckoutStatus.Pending, pending.Status);
        Assert.Equal(CheckoutErrorCodes.PaymentPending, pending.Error!.Code);
        Assert.Equal((5, 2), await h.StockAsync(sku));
        Assert.Equal(OrderState.AwaitingPayment, (await h.Orders.GetAsync(pending.OrderId!.Value))!.State);

        // Recovery before the resolver settled the payment leaves it waiting: no guess, no second authorization.
        h.Time.Advance(h.Options.PendingRetryDelay + TimeSpan.FromSeconds(1));
        await h.Checkout.RecoverDueAsync();
        Assert.Equal(CheckoutStep.OrderPlaced, (await h.Store.GetAsync(pending.CheckoutId!.Value, default))!.Step);
        Assert.Equal(CheckoutErrorCodes.PaymentPending, (await h.Checkout.CheckoutAsync(request)).Error!.Code);

        await h.RecoverAllAsync([request]);

        var done = await h.Checkout.CheckoutAsync(request);
        Assert.Equal(CheckoutStatus.Completed, done.Status);
        Assert.True(done.IsReplay);
        Assert.Equal((3, 0), await h.StockAsync(sku));
        Assert.Equal(1, h.Psp.Authorizations);
        Assert.Equal(1, h.Psp.Captures);
        await h.AssertSettledAsync([request], [sku]);
    }

    [Fact]
    public async Task An_authorization_settled_after_its_key_expired_is_voided_not_left_open()
    {
        // The outcome stays unknown past the key retention window; then the resolver learns the PSP did authorize. The
        // saga's retry of the authorization is refused (the payment is no longer awaiting one): the saga must act on
        // the stored payment and void it, not assume nothing was authorized.
        await using var h = CheckoutHarness.Create();
        var sku = await h.SkuAsync(5);
        var request = h.Request(sku, 2, token: SimulatedPaymentProvider.LostResponseToken);
        var pending = await h.Checkout.CheckoutAsync(request);
        Assert.Equal(CheckoutErrorCodes.PaymentPending, pending.Error!.Code);

        h.Time.Advance(TimeSpan.FromHours(25));
        await h.Inventory.ExpireDueReservationsAsync();
        await h.Payments.ResolveAsync(pending.PaymentId!.Value, default);
        Assert.Equal(PaymentStatus.Authorized, (await h.Payments.GetAsync(pending.PaymentId!.Value, default))!.Status);
        await h.RecoverAllAsync([request]);

        var done = await h.Checkout.CheckoutAsync(request);
        Assert.Equal(CheckoutStatus.Failed, done.Status);
        Assert.Equal(CheckoutErrorCodes.ReservationExpired, done.Error!.Code);
        Assert.Equal(PaymentStatus.Voided, (await h.Payments.GetAsync(pending.PaymentId!.Value, default))!.Status);
        Assert.Equal((5, 0), await h.StockAsync(sku));
        await h.AssertSettledAsync([request], [sku]);
    }

    [Fact]
    public async Task A_payment_provider_failure_compensates()
    {
        await using var h = CheckoutHarness.Create(psp: new SimulatedPaymentProviderOptions { ErrorRate = 1.0 });
        var sku = await h.SkuAsync(5);

        var result = await h.Checkout.CheckoutAsync(h.Request(sku, 1));

        Assert.Equal(CheckoutStatus.Failed, result.Status);
        Assert.Equal(CheckoutErrorCodes.PaymentFailed, result.Error!.Code);
        Assert.Equal((5, 0), await h.StockAsync(sku));
        Assert.Equal(OrderState.Cancelled, (await h.Orders.GetAsync(result.OrderId!.Value))!.State);
    }

    [Fact]
    public async Task On_shipment_capture_takes_each_sellers_share_when_it_ships()
    {
        await using var h = CheckoutHarness.Create(o => o.CaptureMode = CaptureMode.OnShipment);
        var a = await h.SkuAsync(5, CheckoutHarness.SellerA);
        var b = await h.SkuAsync(5, CheckoutHarness.SellerB);
        var request = h.Request(a, 2) with { Lines = [new CheckoutLine(a, 2, CheckoutHarness.Price), new CheckoutLine(b, 1, CheckoutHarness.Price)] };

        var result = await h.Checkout.CheckoutAsync(request);

        Assert.Equal(CheckoutStatus.Completed, result.Status);
        Assert.Equal(CheckoutStep.AwaitingShipment, result.Step);
        var orderId = result.OrderId!.Value;
        Assert.Equal(PaymentStatus.Authorized, (await h.Payments.GetAsync(result.PaymentId!.Value, default))!.Status);
        Assert.Equal(0, h.Psp.Captures);
        Assert.Empty(await h.Store.ListDueAsync(h.Time.GetUtcNow().AddYears(1), 10, default));

        await h.Orders.ExecuteAsync(new ShipFulfilment(orderId, new CommandId("ship-b"), "seller-b", CheckoutHarness.SellerB, "TRACK-B"));
        var first = await h.Checkout.HandleOrderEventAsync(ShippedEvent(orderId, CheckoutHarness.SellerB));
        var duplicate = await h.Checkout.HandleOrderEventAsync(ShippedEvent(orderId, CheckoutHarness.SellerB));
        var payment = await h.Payments.GetAsync(result.PaymentId!.Value, default);
        Assert.Equal(ShipmentCaptureOutcome.Captured, first);
        Assert.Equal(ShipmentCaptureOutcome.Captured, duplicate);
        Assert.Equal(1_000, payment!.CapturedMinor);
        Assert.Equal(PaymentStatus.PartiallyCaptured, payment.Status);

        Assert.Equal(ShipmentCaptureOutcome.Captured, await h.Checkout.CaptureShipmentAsync(orderId, CheckoutHarness.SellerA));
        payment = await h.Payments.GetAsync(result.PaymentId!.Value, default);
        Assert.Equal(3_000, payment!.CapturedMinor);
        Assert.Equal(PaymentStatus.Captured, payment.Status);
        Assert.Equal(2, h.Psp.Captures);
        Assert.Equal(CheckoutStep.Completed, (await h.Store.GetAsync(result.CheckoutId!.Value, default))!.Step);
        Assert.Equal(ShipmentCaptureOutcome.NotApplicable, await h.Checkout.HandleOrderEventAsync(
            new EventEnvelope(Guid.NewGuid(), OrderEventTypes.Paid, orderId.Value, h.Time.GetUtcNow(), "{}"u8.ToArray())));
    }

    [Fact]
    public async Task Sellers_shipping_at_once_each_capture_their_share_and_complete_the_saga()
    {
        // The PSP holds each call until the clock moves, so both shipments are handled while the other is in flight.
        var latency = TimeSpan.FromMilliseconds(100);
        await using var h = CheckoutHarness.Create(o => o.CaptureMode = CaptureMode.OnShipment, new SimulatedPaymentProviderOptions { Latency = latency });
        var result = await RunAsync(h, h.Checkout.CheckoutAsync(await TwoSellerRequestAsync(h)).AsTask(), latency);
        var orderId = result.OrderId!.Value;

        var outcomes = await RunAsync(h, Task.WhenAll(
            h.Checkout.CaptureShipmentAsync(orderId, CheckoutHarness.SellerA).AsTask(),
            h.Checkout.CaptureShipmentAsync(orderId, CheckoutHarness.SellerB).AsTask()), latency);

        // One may be told to retry (the payment was busy with the other); the event's redelivery then captures it.
        foreach (var seller in new[] { CheckoutHarness.SellerA, CheckoutHarness.SellerB })
        {
            Assert.Equal(ShipmentCaptureOutcome.Captured, await RunAsync(h, h.Checkout.CaptureShipmentAsync(orderId, seller).AsTask(), latency));
        }

        Assert.Contains(ShipmentCaptureOutcome.Captured, outcomes);
        await AssertFullyCapturedAsync(h, result);
    }

    [Fact]
    public async Task A_share_recorded_by_another_seller_meanwhile_replays_the_same_capture()
    {
        // Seller B read the saga before seller A's capture was recorded: B captures as if nobody had, loses the saga
        // write, reads again and retries under its key. The retry must be the same request, or payments refuses it as a
        // reused key and every redelivery of B's event fails the same way.
        await using var h = CheckoutHarness.Create(o => o.CaptureMode = CaptureMode.OnShipment);
        var result = await h.Checkout.CheckoutAsync(await TwoSellerRequestAsync(h));
        var orderId = result.OrderId!.Value;
        var observing = new ObservingStore(h.Store) { StaleOrderRead = await h.Store.FindByOrderAsync(orderId, default) };
        await using var sellerB = new CheckoutService(observing, h.Payments, h.Catalog, Microsoft.Extensions.Options.Options.Create(h.Options), h.Time);

        Assert.Equal(ShipmentCaptureOutcome.Captured, await h.Checkout.CaptureShipmentAsync(orderId, CheckoutHarness.SellerA));
        Assert.Equal(ShipmentCaptureOutcome.Captured, await sellerB.CaptureShipmentAsync(orderId, CheckoutHarness.SellerB));

        Assert.Null(observing.StaleOrderRead);
        await AssertFullyCapturedAsync(h, result);
    }

    private static async Task<CheckoutRequest> TwoSellerRequestAsync(CheckoutHarness h)
    {
        var a = await h.SkuAsync(5, CheckoutHarness.SellerA);
        var b = await h.SkuAsync(5, CheckoutHarness.SellerB);
        return h.Request(a, 2) with { Lines = [new CheckoutLine(a, 2, CheckoutHarness.Price), new CheckoutLine(b, 1, CheckoutHarness.Price)] };
    }

    private static async Task AssertFullyCapturedAsync(CheckoutHarness h, CheckoutResult result)
    {
        var payment = await h.Payments.GetAsync(result.PaymentId!.Value, default);
        Assert.Equal(3_000, payment!.CapturedMinor);
        Assert.Equal(PaymentStatus.Captured, payment.Status);
        Assert.Equal(2, h.Psp.Captures);
        var saga = (await h.Store.GetAsync(result.CheckoutId!.Value, default))!;
        Assert.Equal(CheckoutStep.Completed, saga.Step);
        Assert.Equal(2, saga.CapturedSellers.Count);

        // A redelivered event after completion replays without another PSP call.
        Assert.Equal(ShipmentCaptureOutcome.Captured, await h.Checkout.CaptureShipmentAsync(result.OrderId!.Value, CheckoutHarness.SellerA));
        Assert.Equal(2, h.Psp.Captures);
    }

    /// <summary>Moves the fake clock in PSP-latency steps until <paramref name="task"/> finishes.</summary>
    private static async Task<T> RunAsync<T>(CheckoutHarness h, Task<T> task, TimeSpan step)
    {
        for (var i = 0; i < 1_000 && !task.IsCompleted; i++)
        {
            await Task.Delay(1);
            h.Time.Advance(step);
        }

        return await task;
    }

    private static EventEnvelope ShippedEvent(OrderId orderId, SellerId seller)
    {
        var payload = new OrderEventPayload(orderId.Value, 3, Guid.NewGuid(), OrderEventTypes.FulfilmentShipped, "ship", seller.Value, null,
            DateTimeOffset.UnixEpoch, "paid", "partially_shipped")
        { SellerId = seller.Value, TrackingNumber = "T" };
        return new EventEnvelope(payload.EventId, OrderEventTypes.FulfilmentShipped, orderId.Value, DateTimeOffset.UnixEpoch,
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(payload, OrderingJsonContext.Default.OrderEventPayload));
    }
}
