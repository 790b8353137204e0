using Commerce.Payments.Conformance;
using Commerce.Payments.Idempotency;
using Commerce.PostgreSql.Payments;
using Commerce.Testing;

namespace Commerce.PostgreSql.Tests.Payments;

/// <summary>The idempotency key conformance suite against the keys of the PostgreSQL payment store.</summary>
public sealed class PostgreSqlIdempotencyKeyStoreTests : IdempotencyKeyStoreConformance
{
    /// <inheritdoc />
    protected override async ValueTask<IIdempotencyKeyStore> CreateKeyStoreAsync(TimeProvider timeProvider)
    {
        var schema = PostgreSqlSchema.Create("paykey");
        RegisterForDispose(schema);
        var store = new PostgreSqlPaymentStore(schema.DataSource, new PostgreSqlPaymentsOptions { Schema = schema.Name }, timeProvider);
        await store.MigrateAsync();
        return store;
    }
}
