using Commerce.Checkout.Storage;
using Commerce.Inventory;
using Commerce.Ordering;

namespace Commerce.Checkout.Conformance;

public abstract partial class CheckoutSagaStoreConformance
{
    [Fact]
    public async Task Begin_reserves_the_stock_places_the_order_and_records_the_saga()
    {
        var a = await StockAsync(10);
        var b = await StockAsync(5);
        var saga = await BeginAsync(NewSaga((a, 2), (b, 1)));

        Assert.Equal((10, 2), await StockOfAsync(a));
        Assert.Equal((5, 1), await StockOfAsync(b));
        var reservation = await Inventory.GetReservationAsync(saga.ReservationId);
        Assert.Equal(ReservationState.Active, reservation!.State);
        var order = await Orders.GetAsync(saga.OrderId);
        Assert.Equal(OrderState.AwaitingPayment, order!.State);
        Assert.Equal(saga.Buyer, order.Buyer);
        Assert.Equal(3_000, order.Total.MinorUnits);
        Assert.Equal(saga, await Store.GetAsync(saga.Id, default));
        Assert.Equal(saga, await Store.FindByKeyAsync(saga.IdempotencyKey, default));
        Assert.Equal(saga, await Store.FindByOrderAsync(saga.OrderId, default));
    }

    [Fact]
    public async Task Begin_with_a_known_key_returns_the_stored_saga_and_changes_nothing()
    {
        var sku = await StockAsync(10);
        var first = await BeginAsync(NewSaga((sku, 2)));
        var second = NewSaga((sku, 3)) with { IdempotencyKey = first.IdempotencyKey };

        var again = await Store.BeginAsync(second, default);

        Assert.Equal(BeginStatus.Existing, again.Status);
        Assert.Equal(first, again.Saga);
        Assert.Equal((10, 2), await StockOfAsync(sku));
        Assert.Null(await Orders.GetAsync(second.OrderId));
        Assert.Null(await Store.GetAsync(second.Id, default));
    }

    [Fact]
    public async Task Begin_without_enough_stock_writes_nothing_and_reports_availability()
    {
        var plenty = await StockAsync(10);
        var scarce = await StockAsync(1);
        var saga = NewSaga((plenty, 1), (scarce, 2));

        var begun = await Store.BeginAsync(saga, default);

        Assert.Equal(BeginStatus.InsufficientStock, begun.Status);
        Assert.Null(begun.Saga);
        var shortLine = Assert.Single(begun.Availability!, l => l.IsShort);
        Assert.Equal(scarce, shortLine.Sku);
        Assert.Equal(1, shortLine.Available);
        Assert.Equal((10, 0), await StockOfAsync(plenty));
        Assert.Equal((1, 0), await StockOfAsync(scarce));
        Assert.Null(await Orders.GetAsync(saga.OrderId));
        Assert.Null(await Store.FindByKeyAsync(saga.IdempotencyKey, default));
        Assert.Null(await Store.GetAsync(saga.Id, default));

        // The key stays free: the same key later, with stock, begins.
        await Inventory.AdjustStockAsync(new StockAdjustment(scarce, 5, "restock", new IdempotencyKey(Unique("restock"))));
        await BeginAsync(saga);
    }

    [Fact]
    public async Task Begin_with_an_unknown_sku_throws_and_writes_nothing()
    {
        var known = await StockAsync(10);
        var saga = NewSaga((known, 1), (new Sku(Unique("ghost")), 1));

        var error = await Assert.ThrowsAnyAsync<CommerceException>(() => Store.BeginAsync(saga, default).AsTask());

        Assert.Equal(InventoryErrorCodes.UnknownSku, error.Code);
        Assert.Equal((10, 0), await StockOfAsync(known));
        Assert.Null(await Orders.GetAsync(saga.OrderId));
        Assert.Null(await Store.FindByKeyAsync(saga.IdempotencyKey, default));
    }

    [Fact]
    public async Task Confirm_commits_the_stock_marks_the_order_paid_and_replays()
    {
        var sku = await StockAsync(10);
        var saga = await BeginAsync(NewSaga((sku, 3)));
        var paid = Next(saga, CheckoutStep.Paid);

        var confirmed = await Store.ConfirmAsync(paid, default);

        Assert.Equal(ConfirmStatus.Confirmed, confirmed.Status);
        Assert.Equal(paid, confirmed.Current);
        Assert.Equal((7, 0), await StockOfAsync(sku));
        var order = await Orders.GetAsync(saga.OrderId);
        Assert.Equal(OrderState.Paid, order!.State);
        Assert.Equal(saga.PaymentId, order.PaymentId);
        Assert.Equal(paid, await Store.GetAsync(saga.Id, default));

        // The same confirm again is a lost race now (the saga moved on) and changes nothing.
        var again = await Store.ConfirmAsync(paid, default);
        Assert.Equal(ConfirmStatus.VersionConflict, again.Status);
        Assert.Equal(paid, again.Current);
        Assert.Equal((7, 0), await StockOfAsync(sku));
    }

    [Fact]
    public async Task Confirm_after_the_reservation_expired_writes_nothing()
    {
        var sku = await StockAsync(10);
        var saga = await BeginAsync(NewSaga((sku, 3)));
        Time.Advance(TimeSpan.FromMinutes(11));
        await Inventory.ExpireDueReservationsAsync();

        var confirmed = await Store.ConfirmAsync(Next(saga, CheckoutStep.Paid), default);

        Assert.Equal(ConfirmStatus.ReservationLost, confirmed.Status);
        Assert.Equal(saga, await Store.GetAsync(saga.Id, default));
        Assert.Equal((10, 0), await StockOfAsync(sku));
        Assert.Equal(OrderState.AwaitingPayment, (await Orders.GetAsync(saga.OrderId))!.State);
    }

    [Fact]
    public async Task Confirm_of_a_cancelled_order_writes_nothing_and_keeps_the_stock()
    {
        var sku = await StockAsync(10);
        var saga = await BeginAsync(NewSaga((sku, 3)));
        await Orders.ExecuteAsync(new CancelOrder(saga.OrderId, new CommandId("buyer-cancel"), "buyer"));

        var confirmed = await Store.ConfirmAsync(Next(saga, CheckoutStep.Paid), default);

        Assert.Equal(ConfirmStatus.OrderUnavailable, confirmed.Status);
        Assert.Equal(saga, await Store.GetAsync(saga.Id, default));
        var (onHand, _) = await StockOfAsync(sku);
        Assert.Equal(10, onHand);
    }

    [Fact]
    public async Task Compensate_releases_the_stock_cancels_the_order_and_records_the_failure()
    {
        var sku = await StockAsync(10);
        var saga = await BeginAsync(NewSaga((sku, 4)));
        var failed = Next(saga, CheckoutStep.Compensated, CheckoutErrorCodes.Declined);

        var written = await Store.CompensateAsync(failed, default);

        Assert.True(written.IsWritten);
        Assert.Equal(failed, await Store.GetAsync(saga.Id, default));
        Assert.Equal((10, 0), await StockOfAsync(sku));
        Assert.Equal(ReservationState.Released, (await Inventory.GetReservationAsync(saga.ReservationId))!.State);
        Assert.Equal(OrderState.Cancelled, (await Orders.GetAsync(saga.OrderId))!.State);

        var again = await Store.CompensateAsync(failed, default);
        Assert.Equal(SagaWriteStatus.VersionConflict, again.Status);
        Assert.Equal(failed, again.Current);
    }

    [Fact]
    public async Task Compensate_after_the_reservation_expired_still_cancels_the_order()
    {
        var sku = await StockAsync(10);
        var saga = await BeginAsync(NewSaga((sku, 4)));
        Time.Advance(TimeSpan.FromMinutes(11));
        await Inventory.ExpireDueReservationsAsync();

        var written = await Store.CompensateAsync(Next(saga, CheckoutStep.Compensated, CheckoutErrorCodes.ReservationExpired), default);

        Assert.True(written.IsWritten);
        Assert.Equal((10, 0), await StockOfAsync(sku));
        Assert.Equal(OrderState.Cancelled, (await Orders.GetAsync(saga.OrderId))!.State);
    }

    [Fact]
    public async Task Update_applies_only_at_the_next_version()
    {
        var sku = await StockAsync(10);
        var saga = await BeginAsync(NewSaga((sku, 1)));
        var leased = saga with { Version = 2, LeaseExpiresAt = Now().AddMinutes(5), RecoveryAttempts = 1 };

        Assert.True((await Store.UpdateAsync(leased, default)).IsWritten);
        var stale = await Store.UpdateAsync(saga with { Version = 2, FailureCode = "x" }, default);
        Assert.Equal(SagaWriteStatus.VersionConflict, stale.Status);
        Assert.Equal(leased, stale.Current);
        var skipped = await Store.UpdateAsync(saga with { Version = 4 }, default);
        Assert.Equal(SagaWriteStatus.VersionConflict, skipped.Status);
        Assert.Equal(leased, await Store.GetAsync(saga.Id, default));

        var unknown = await Store.UpdateAsync(NewSaga((sku, 1)) with { Version = 2 }, default);
        Assert.Equal(SagaWriteStatus.VersionConflict, unknown.Status);
        Assert.Null(unknown.Current);
    }

    [Fact]
    public async Task Sagas_keep_every_field_exactly()
    {
        var sku = await StockAsync(10);
        var other = await StockAsync(10);
        var saga = NewSaga((sku, 2), (other, 1)) with
        {
            Lines =
            [
                new CheckoutSagaLine(sku, new SellerId("seller-a"), 2, 1_999),
                new CheckoutSagaLine(other, new SellerId("seller-b"), 1, 5),
            ],
            TotalMinor = 4_003,
            CaptureMode = CaptureMode.OnShipment,
            Currency = Currency.EUR,
        };
        await BeginAsync(saga);
        var shipped = Next(saga, CheckoutStep.AwaitingShipment) with { CapturedSellers = [new SellerId("seller-b")] };
        Assert.True((await Store.UpdateAsync(shipped, default)).IsWritten);

        var read = await Store.GetAsync(saga.Id, default);

        Assert.Equal(shipped, read);
        Assert.Equal(4_003, read!.Total.MinorUnits);
        Assert.Equal(Currency.EUR, read.Total.Currency);
    }

    [Fact]
    public async Task List_due_returns_unfinished_sagas_whose_lease_passed_earliest_first()
    {
        var sku = await StockAsync(100);
        var soon = await BeginAsync(NewSaga((sku, 1)) with { LeaseExpiresAt = Now().AddSeconds(10) });
        var later = await BeginAsync(NewSaga((sku, 1)) with { LeaseExpiresAt = Now().AddSeconds(20) });
        var notYet = await BeginAsync(NewSaga((sku, 1)) with { LeaseExpiresAt = Now().AddMinutes(5) });
        var done = await BeginAsync(NewSaga((sku, 1)) with { LeaseExpiresAt = Now().AddSeconds(5) });
        Assert.True((await Store.CompensateAsync(Next(done, CheckoutStep.Compensated, CheckoutErrorCodes.Declined), default)).IsWritten);
        var shipping = await BeginAsync(NewSaga((sku, 1)) with { LeaseExpiresAt = Now().AddSeconds(5) });
        Assert.Equal(ConfirmStatus.Confirmed, (await Store.ConfirmAsync(Next(shipping, CheckoutStep.AwaitingShipment), default)).Status);

        Time.Advance(TimeSpan.FromSeconds(30));
        var due = (await Store.ListDueAsync(Now(), 10, default)).Select(s => s.Id).Where(id => id == soon.Id || id == later.Id || id == notYet.Id || id == done.Id || id == shipping.Id).ToArray();

        Assert.Equal([soon.Id, later.Id], due);
        Assert.Single(await Store.ListDueAsync(Now(), 1, default));
    }
}
