using Commerce.Events;
using Commerce.Ordering.Conformance;
using Commerce.Ordering.Storage;
using Commerce.PostgreSql.Ordering;
using Commerce.Testing;

namespace Commerce.PostgreSql.Tests.Ordering;

/// <summary>The ordering conformance suite against PostgreSQL, each test in a schema of its own.</summary>
public sealed class PostgreSqlOrderStoreTests : OrderStoreConformance
{
    protected override int PropertyIterations => 25;

    protected override async ValueTask<IOrderStore> CreateStoreAsync(TimeProvider timeProvider)
    {
        var schema = PostgreSqlSchema.Create("ord");
        RegisterForDispose(schema);
        var store = new PostgreSqlOrderStore(schema.DataSource, new PostgreSqlOrderingOptions { Schema = schema.Name }, timeProvider);
        await store.MigrateAsync();
        return store;
    }

    protected override IOutboxStore GetOutbox(IOrderStore store) => ((PostgreSqlOrderStore)store).Outbox;
}
