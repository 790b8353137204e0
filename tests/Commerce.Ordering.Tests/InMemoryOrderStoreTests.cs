using Commerce.Events;
using Commerce.Ordering.Conformance;
using Commerce.Ordering.InMemory;
using Commerce.Ordering.Storage;

namespace Commerce.Ordering.Tests;

public sealed class InMemoryOrderStoreTests : OrderStoreConformance
{
    protected override ValueTask<IOrderStore> CreateStoreAsync(TimeProvider timeProvider) =>
        new(new InMemoryOrderStore(recordEvents: true, timeProvider: timeProvider));

    protected override IOutboxStore GetOutbox(IOrderStore store) => ((InMemoryOrderStore)store).Outbox!;
}
