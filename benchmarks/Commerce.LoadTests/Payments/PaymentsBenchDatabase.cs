using Commerce.PostgreSql;
using Commerce.PostgreSql.Payments;
using Npgsql;

namespace Commerce.LoadTests.Payments;

/// <summary>Prepares the schema both contestants write to, and checks what a run left behind.</summary>
internal static class PaymentsBenchDatabase
{
    /// <summary>Drops and re-creates the schema through the store's own migration; then a CHECKPOINT so every run starts equal.</summary>
    public static async Task ResetAsync(PaymentsLoadOptions options)
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        await ExecuteAsync(dataSource, $"DROP SCHEMA IF EXISTS {options.Schema} CASCADE");
        await new PostgreSqlPaymentStore(dataSource, new PostgreSqlPaymentsOptions { Schema = options.Schema }).MigrateAsync();
        await ExecuteAsync(dataSource, "CHECKPOINT");
        await ExecuteAsync(dataSource, "SELECT pg_stat_reset_shared('wal')");
    }

    /// <summary>
    /// Whether every payment is captured in full with two settled attempts, two completed keys, one balanced journal
    /// entry and two outbox events, and the ledger nets to zero; also the WAL flushes since the reset.
    /// </summary>
    public static async Task<(long Payments, long WalSyncs, bool Consistent)> CheckAsync(PaymentsLoadOptions options)
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        var s = options.Schema;
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT (SELECT count(*) FROM {s}.payments),
                   (SELECT count(*) FROM {s}.payments WHERE status = 3 AND captured_minor = amount_minor AND NOT unsettled),
                   (SELECT count(*) FROM {s}.payment_attempts WHERE status = 1),
                   (SELECT count(*) FROM {s}.payment_keys WHERE state = 2),
                   (SELECT count(*) FROM {s}.payment_journal),
                   (SELECT count(*) FROM {s}.payment_outbox),
                   (SELECT coalesce(sum(d) - sum(c), 0) FROM {s}.payment_journal, unnest(debits, credits) AS l(d, c))::bigint,
                   (SELECT wal_sync FROM pg_stat_wal)
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var payments = reader.GetInt64(0);
        var consistent = reader.GetInt64(1) == payments && reader.GetInt64(2) == 2 * payments && reader.GetInt64(3) == 2 * payments
            && reader.GetInt64(4) == payments && reader.GetInt64(5) == 2 * payments && reader.GetInt64(6) == 0;
        return (payments, reader.GetInt64(7), consistent);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync();
    }
}
