using Commerce.Checkout.Conformance;
using Commerce.Checkout.InMemory;
using Commerce.Checkout.Storage;
using Commerce.Inventory;
using Commerce.Ordering;

namespace Commerce.Checkout.Tests;

public sealed class InMemoryCheckoutSagaStoreTests : CheckoutSagaStoreConformance
{
    protected override ValueTask<CheckoutStoreSetup> CreateStoresAsync(TimeProvider timeProvider)
    {
        var inventory = InventoryService.CreateInMemory(timeProvider: timeProvider);
        var orders = OrderService.CreateInMemory(timeProvider: timeProvider);
        return new(new CheckoutStoreSetup(new InMemoryCheckoutSagaStore(inventory, orders), inventory, orders));
    }

    [Fact]
    public async Task Groups_on_one_saga_wait_their_turn_and_a_waiter_that_gives_up_does_not_block_the_next()
    {
        var store = (InMemoryCheckoutSagaStore)Store;
        var saga = await BeginAsync(NewSaga((await StockAsync(10), 1)));
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.StepHook = async (step, _) =>
        {
            if (step == "confirm.committed")
            {
                held.TrySetResult();
                await holding.Task;
            }
        };

        // The first group holds the saga's gate inside its steps; a second waits and gives up; a third waits.
        var first = store.ConfirmAsync(Next(saga, CheckoutStep.Paid), default).AsTask();
        await held.Task;
        using var giveUp = new CancellationTokenSource();
        var second = store.UpdateAsync(Next(saga, CheckoutStep.Paid), giveUp.Token).AsTask();
        var third = store.UpdateAsync(Next(Next(saga, CheckoutStep.Paid), CheckoutStep.Completed), default).AsTask();
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.False(third.IsCompleted);

        holding.SetResult();
        Assert.Equal(ConfirmStatus.Confirmed, (await first).Status);
        var completed = await third.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(completed.IsWritten);
        Assert.Equal(CheckoutStep.Completed, (await Store.GetAsync(saga.Id, default))!.Step);
    }

    [Fact]
    public async Task A_saga_whose_order_id_is_not_its_own_id_is_found_by_its_order()
    {
        var sku = await StockAsync(10);
        var saga = NewSaga((sku, 1)) with { OrderId = new OrderId(Unique("order")) };

        await BeginAsync(saga);

        Assert.Equal(saga, await Store.FindByOrderAsync(saga.OrderId, default));
        Assert.Null(await Store.FindByOrderAsync(new OrderId(saga.Id.Value), default));
    }
}
