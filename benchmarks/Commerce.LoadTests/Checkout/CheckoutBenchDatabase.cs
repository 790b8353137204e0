using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.PostgreSql;
using Commerce.PostgreSql.Checkout;
using Commerce.PostgreSql.Payments;
using Npgsql;

namespace Commerce.LoadTests.Checkout;

/// <summary>Prepares the schema both contestants write to, and checks what a run left behind.</summary>
internal static class CheckoutBenchDatabase
{
    public const string HotSku = "hot";
    public const string Location = "default";

    public static string UniformSku(long n) => $"sku-{n}";

    /// <summary>Drops and re-creates the schema through the stores' own migrations, seeds plenty of stock, then a CHECKPOINT.</summary>
    public static async Task ResetAsync(CheckoutLoadOptions options)
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        await ExecuteAsync(dataSource, $"DROP SCHEMA IF EXISTS {options.Schema} CASCADE");

        // The checkout store's migration applies inventory, ordering and checkout; the services only validate.
        await using (var store = new PostgreSqlCheckoutSagaStore(dataSource, InventoryService.CreateInMemory(), OrderService.CreateInMemory(),
            new PostgreSqlCheckoutOptions { Schema = options.Schema }))
        {
            await store.MigrateAsync();
        }

        await new PostgreSqlPaymentStore(dataSource, new PostgreSqlPaymentsOptions { Schema = options.Schema }).MigrateAsync();
        await using (var seed = dataSource.CreateCommand(
            $"""
            INSERT INTO {options.Schema}.inventory_stock (sku, location, on_hand)
            SELECT 'sku-' || g, $2, 1000000 FROM generate_series(1, $1) AS g
            UNION ALL SELECT $3, $2, 1000000000
            """))
        {
            seed.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.Skus });
            seed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Location });
            seed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = HotSku });
            await seed.ExecuteNonQueryAsync();
        }

        await ExecuteAsync(dataSource, $"VACUUM ANALYZE {options.Schema}.inventory_stock");
        await ExecuteAsync(dataSource, "CHECKPOINT");
        await ExecuteAsync(dataSource, "SELECT pg_stat_reset_shared('wal')");
    }

    /// <summary>
    /// Whether every checkout finished: each saga completed, with its reservation committed, its order paid and its
    /// payment captured in full, nothing left reserved; also the checkouts stored and the WAL flushes since the reset.
    /// </summary>
    public static async Task<(long Checkouts, long WalSyncs, bool Consistent)> CheckAsync(CheckoutLoadOptions options)
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        var s = options.Schema;
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT (SELECT count(*) FROM {s}.checkout_sagas),
                   (SELECT count(*) FROM {s}.checkout_sagas WHERE step = 4 AND NOT needs_driving),
                   (SELECT count(*) FROM {s}.inventory_reservations WHERE state = 1),
                   (SELECT coalesce(sum(reserved), 0)::bigint FROM {s}.inventory_stock),
                   (SELECT count(*) FROM {s}.ordering_orders WHERE state = 3),
                   (SELECT count(*) FROM {s}.payments WHERE status = 3 AND captured_minor = amount_minor),
                   (SELECT wal_sync FROM pg_stat_wal)
            """);
        command.CommandTimeout = 300;
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var checkouts = reader.GetInt64(0);
        var consistent = reader.GetInt64(1) == checkouts && reader.GetInt64(2) == checkouts && reader.GetInt64(3) == 0
            && reader.GetInt64(4) == checkouts && reader.GetInt64(5) == checkouts;
        return (checkouts, reader.GetInt64(6), consistent);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync();
    }
}
