using Commerce.Events;
using Commerce.Inventory.Conformance;
using Commerce.Inventory.Storage;
using Commerce.Redis.Inventory;

namespace Commerce.Redis.Tests.Inventory;

/// <summary>The inventory conformance suite against a standalone Redis, each test under a key prefix of its own.</summary>
public sealed class RedisInventoryStoreTests : InventoryStoreConformance
{
    protected override int PropertyIterations => 40;

    protected override ValueTask<IInventoryStore> CreateStoreAsync(TimeProvider timeProvider) =>
        new(new RedisInventoryStore(RedisConnections.Standalone(),
            new RedisInventoryOptions { KeyPrefix = RedisConnections.NewPrefix("inv") }, timeProvider));

    protected override IOutboxStore? GetOutbox(IInventoryStore store) => ((RedisInventoryStore)store).Outbox;
}

/// <summary>
/// The inventory conformance suite against a three-master Redis Cluster with 16 shards, so that most reservations span
/// shards (and nodes) and run the multi-step protocol.
/// </summary>
public sealed class RedisClusterInventoryStoreTests : InventoryStoreConformance
{
    protected override int PropertyIterations => 25;

    protected override bool EventsOrderedAcrossStreams => false;

    protected override ValueTask<IInventoryStore> CreateStoreAsync(TimeProvider timeProvider) =>
        new(new RedisInventoryStore(RedisConnections.Cluster(),
            new RedisInventoryOptions { KeyPrefix = RedisConnections.NewPrefix("invc"), Shards = 16 }, timeProvider));

    protected override IOutboxStore? GetOutbox(IInventoryStore store) => ((RedisInventoryStore)store).Outbox;
}
