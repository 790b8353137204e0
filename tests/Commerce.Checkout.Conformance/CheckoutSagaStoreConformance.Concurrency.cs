using Commerce.Checkout.Storage;
using Commerce.Ordering;

namespace Commerce.Checkout.Conformance;

public abstract partial class CheckoutSagaStoreConformance
{
    [Fact]
    public async Task Concurrent_begins_never_reserve_more_than_the_stock()
    {
        const int Units = 10;
        var sku = await StockAsync(Units);
        var sagas = Enumerable.Range(0, 60).Select(_ => NewSaga((sku, 1))).ToArray();

        var results = await Task.WhenAll(sagas.Select(s => Task.Run(async () => await Store.BeginAsync(s, default))));

        Assert.Equal(Units, results.Count(r => r.Status == BeginStatus.Begun));
        Assert.Equal(sagas.Length - Units, results.Count(r => r.Status == BeginStatus.InsufficientStock));
        Assert.Equal((Units, Units), await StockOfAsync(sku));
        for (var i = 0; i < sagas.Length; i++)
        {
            var order = await Orders.GetAsync(sagas[i].OrderId);
            var stored = await Store.GetAsync(sagas[i].Id, default);
            if (results[i].Status == BeginStatus.Begun)
            {
                Assert.Equal(OrderState.AwaitingPayment, order!.State);
                Assert.Equal(sagas[i], stored);
            }
            else
            {
                Assert.Null(order);
                Assert.Null(stored);
            }
        }
    }

    [Fact]
    public async Task Concurrent_begins_with_one_key_start_one_checkout()
    {
        var sku = await StockAsync(100);
        var key = new IdempotencyKey(Unique("key"));
        var sagas = Enumerable.Range(0, 16).Select(_ => NewSaga((sku, 2)) with { IdempotencyKey = key }).ToArray();

        var results = await Task.WhenAll(sagas.Select(s => Task.Run(async () => await Store.BeginAsync(s, default))));

        var begun = Assert.Single(results, r => r.Status == BeginStatus.Begun);
        Assert.All(results, r => Assert.Equal(begun.Saga!.Id, r.Saga!.Id));
        Assert.Equal((100, 2), await StockOfAsync(sku));
        Assert.Equal(begun.Saga, await Store.FindByKeyAsync(key, default));
    }

    [Fact]
    public async Task Concurrent_writes_at_one_version_apply_once()
    {
        var sku = await StockAsync(10);
        var saga = await BeginAsync(NewSaga((sku, 1)));
        var candidates = Enumerable.Range(0, 16).Select(i => saga with { Version = 2, RecoveryAttempts = i + 1 }).ToArray();

        var results = await Task.WhenAll(candidates.Select(c => Task.Run(async () => await Store.UpdateAsync(c, default))));

        var winner = Assert.Single(results, r => r.IsWritten);
        Assert.Equal(winner.Current, await Store.GetAsync(saga.Id, default));
    }

    [Fact]
    public async Task Confirm_and_compensate_racing_on_one_version_leave_one_consistent_outcome()
    {
        for (var round = 0; round < 20; round++)
        {
            var sku = await StockAsync(5);
            var saga = await BeginAsync(NewSaga((sku, 2)));
            var confirm = Task.Run(async () => await Store.ConfirmAsync(Next(saga, CheckoutStep.Paid), default));
            var compensate = Task.Run(async () => await Store.CompensateAsync(Next(saga, CheckoutStep.Compensated, CheckoutErrorCodes.Declined), default));
            var (confirmed, compensated) = (await confirm, await compensate);

            var stored = await Store.GetAsync(saga.Id, default);
            var order = await Orders.GetAsync(saga.OrderId);
            var (onHand, reserved) = await StockOfAsync(sku);
            Assert.Equal(0, reserved);
            if (stored!.Step == CheckoutStep.Paid)
            {
                Assert.Equal(ConfirmStatus.Confirmed, confirmed.Status);
                Assert.Equal(OrderState.Paid, order!.State);
                Assert.Equal(3, onHand);
            }
            else
            {
                Assert.Equal(CheckoutStep.Compensated, stored.Step);
                Assert.True(compensated.IsWritten);
                Assert.Equal(OrderState.Cancelled, order!.State);
                Assert.Equal(5, onHand);
            }
        }
    }
}
