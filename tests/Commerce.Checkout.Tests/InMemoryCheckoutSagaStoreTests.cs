using Commerce.Checkout.Conformance;
using Commerce.Checkout.InMemory;
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
}
