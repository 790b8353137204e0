using Commerce.Events;
using Commerce.Inventory.Conformance;
using Commerce.Inventory.Storage;
using Commerce.PostgreSql.Inventory;
using Commerce.Testing;

namespace Commerce.PostgreSql.Tests;

/// <summary>The inventory conformance suite against PostgreSQL, each test in a schema of its own.</summary>
public sealed class PostgreSqlInventoryStoreTests : InventoryStoreConformance
{
    protected override int PropertyIterations => 25;

    protected override async ValueTask<IInventoryStore> CreateStoreAsync(TimeProvider timeProvider)
    {
        var schema = PostgreSqlSchema.Create("inv");
        RegisterForDispose(schema);
        var store = new PostgreSqlInventoryStore(schema.DataSource, new PostgreSqlInventoryOptions { Schema = schema.Name }, timeProvider);
        RegisterForDispose(store);
        await store.MigrateAsync();
        return store;
    }

    protected override IOutboxStore? GetOutbox(IInventoryStore store) => ((PostgreSqlInventoryStore)store).Outbox;
}
