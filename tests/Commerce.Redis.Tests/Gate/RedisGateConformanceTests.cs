using Commerce.Events;
using Commerce.Inventory.Conformance;
using Commerce.Inventory.Storage;
using Commerce.PostgreSql;
using Commerce.PostgreSql.Inventory;
using Commerce.Redis.Gate;
using Commerce.Testing;

namespace Commerce.Redis.Tests.Gate;

/// <summary>
/// The inventory conformance suite against the gate in front of PostgreSQL: whatever the gate answers from Redis, the
/// pair must behave exactly as a store.
/// </summary>
public sealed class RedisGateConformanceTests : InventoryStoreConformance
{
    protected override int PropertyIterations => 10;

    protected override async ValueTask<IInventoryStore> CreateStoreAsync(TimeProvider timeProvider)
    {
        var schema = PostgreSqlSchema.Create("gate");
        RegisterForDispose(schema);
        var truth = new PostgreSqlInventoryStore(schema.DataSource, new PostgreSqlInventoryOptions { Schema = schema.Name }, timeProvider);
        RegisterForDispose(truth);
        await truth.MigrateAsync();
        return new RedisInventoryGate(truth, RedisConnections.Standalone(), new RedisGateOptions { KeyPrefix = RedisConnections.NewPrefix("gate") });
    }

    protected override IOutboxStore? GetOutbox(IInventoryStore store) => ((PostgreSqlInventoryStore)((RedisInventoryGate)store).Truth).Outbox;
}
