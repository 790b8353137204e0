using Commerce.Payments.Conformance;
using Commerce.Payments.Storage;
using Commerce.PostgreSql.Payments;
using Commerce.Testing;

namespace Commerce.PostgreSql.Tests.Payments;

/// <summary>The payments conformance suite against PostgreSQL, each test in a schema of its own.</summary>
public sealed class PostgreSqlPaymentStoreTests : PaymentStoreConformance
{
    /// <inheritdoc />
    protected override int PropertyIterations => 25;

    /// <inheritdoc />
    protected override async ValueTask<IPaymentStore> CreateStoreAsync(TimeProvider timeProvider)
    {
        var schema = PostgreSqlSchema.Create("pay");
        RegisterForDispose(schema);
        var store = new PostgreSqlPaymentStore(schema.DataSource, new PostgreSqlPaymentsOptions { Schema = schema.Name }, timeProvider);
        await store.MigrateAsync();
        return store;
    }
}
