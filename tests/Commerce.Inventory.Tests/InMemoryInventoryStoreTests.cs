using Commerce.Events;
using Commerce.Inventory.Conformance;
using Commerce.Inventory.InMemory;
using Commerce.Inventory.Storage;

namespace Commerce.Inventory.Tests;

public sealed class InMemoryInventoryStoreTests : InventoryStoreConformance
{
    protected override ValueTask<IInventoryStore> CreateStoreAsync(TimeProvider timeProvider) =>
        new(new InMemoryInventoryStore(recordEvents: true, timeProvider: timeProvider));

    protected override IOutboxStore? GetOutbox(IInventoryStore store) => ((InMemoryInventoryStore)store).Outbox;
}
