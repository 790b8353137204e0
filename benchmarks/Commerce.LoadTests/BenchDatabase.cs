using Commerce.PostgreSql;
using Commerce.PostgreSql.Inventory;
using Npgsql;

namespace Commerce.LoadTests;

/// <summary>Prepares the schema both contestants write to, and reads the server's counters around a run.</summary>
internal sealed class BenchDatabase(LoadOptions options)
{
    public const string HotSku = "hot";
    public const string Location = "default";

    public static string UniformSku(long n) => $"sku-{n}";

    /// <summary>
    /// Drops and re-creates the schema through the store's own migration, then seeds the stock rows: the uniform
    /// SKUs with <see cref="LoadOptions.Stock"/> units each and the hot SKU with <see cref="LoadOptions.HotStock"/>.
    /// The rows are seeded in one INSERT (100,000 adjustments through the API would take minutes of fsyncs and
    /// measure nothing of interest). Ends with VACUUM ANALYZE and a CHECKPOINT so every run starts equal.
    /// </summary>
    public async Task ResetAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        await ExecuteAsync(dataSource, $"DROP SCHEMA IF EXISTS {options.Schema} CASCADE");
        await using (var store = new PostgreSqlInventoryStore(dataSource, new PostgreSqlInventoryOptions { Schema = options.Schema }))
        {
            await store.MigrateAsync();
        }

        await using (var seed = dataSource.CreateCommand(
            $"""
            INSERT INTO {options.Schema}.inventory_stock (sku, location, on_hand)
            SELECT 'sku-' || g, $2, $3 FROM generate_series(1, $1) AS g
            UNION ALL SELECT $4, $2, $5
            """))
        {
            seed.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.Skus });
            seed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Location });
            seed.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.Stock });
            seed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = HotSku });
            seed.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.HotStock });
            await seed.ExecuteNonQueryAsync();
        }

        // Function call counts (pg_stat_user_functions) tell how many reservations the engine put in each batch.
        await ExecuteAsync(dataSource, $"ALTER DATABASE \"{new NpgsqlConnectionStringBuilder(options.ConnectionString).Database}\" SET track_functions = 'pl'");
        await ExecuteAsync(dataSource, $"VACUUM ANALYZE {options.Schema}.inventory_stock");
        await ExecuteAsync(dataSource, "CHECKPOINT");
        await ExecuteAsync(dataSource, "SELECT pg_stat_reset_shared('wal')");
    }

    /// <summary>The server's WAL flushes so far (since the reset) and the calls of the reserve function.</summary>
    public async Task<ServerCounters> ReadCountersAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT (SELECT wal_sync FROM pg_stat_wal),
                   coalesce((SELECT sum(calls) FROM pg_stat_user_functions WHERE schemaname = '{options.Schema}' AND funcname = 'inventory_reserve'), 0)::bigint,
                   (SELECT count(*) FROM {options.Schema}.inventory_reservations),
                   (SELECT coalesce(sum(reserved), 0)::bigint FROM {options.Schema}.inventory_stock),
                   (SELECT count(*) FROM {options.Schema}.inventory_movements WHERE kind = 3),
                   (SELECT count(*) FROM {options.Schema}.inventory_outbox)
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var reservations = reader.GetInt64(2);
        var consistent = reader.GetInt64(3) == reservations && reader.GetInt64(4) == reservations && reader.GetInt64(5) == reservations;
        return new ServerCounters(reader.GetInt64(0), reader.GetInt64(1), reservations, consistent);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Server-side counters after a run.</summary>
/// <param name="WalSyncs">WAL flushes to disk (each durable commit waits for one; concurrent commits share them).</param>
/// <param name="ReserveCalls">Calls of the engine's batched reserve function.</param>
/// <param name="Reservations">Rows in the reservations table.</param>
/// <param name="Consistent">
/// Whether units reserved (every request asks for one unit), reservation rows, "reserved" movements and outbox
/// events all agree: what each reservation must write, written exactly once.
/// </param>
internal readonly record struct ServerCounters(long WalSyncs, long ReserveCalls, long Reservations, bool Consistent);
