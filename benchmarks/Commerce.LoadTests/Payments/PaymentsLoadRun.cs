using System.Globalization;
using System.Text;
using Npgsql;

namespace Commerce.LoadTests.Payments;

/// <summary>
/// The payments load run (<c>Commerce.LoadTests payments ...</c>, see benchmarks/README.md): for each client count,
/// pgbench's raw figure, then the engine, each on a freshly re-created schema.
/// </summary>
internal static class PaymentsLoadRun
{
    public static async Task<int> MainAsync(string[] args)
    {
        PaymentsLoadOptions options;
        try
        {
            options = PaymentsLoadOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        if (options.PrintScript)
        {
            Console.Write(PaymentsPgBench.Script(options.Schema, "pgb", options.PgBenchBatch));
            return 0;
        }

        var header = await DescribeAsync(options);
        Console.WriteLine(header);
        var rows = new List<(int Clients, int MaxAutoPrepare, RunResult? Engine, RunResult? Raw, bool Consistent)>();
        var run = 0;
        foreach (var clients in options.Clients)
        {
            RunResult? raw = null;
            var consistent = true;
            if (options.PgBench is { } pgbench)
            {
                await PaymentsBenchDatabase.ResetAsync(options);
                Console.WriteLine($"pgbench  clients={clients} ...");
                var settings = new PgBenchRun(options.ConnectionString, pgbench, options.PgBenchThreads, options.Warmup, options.Duration);
                raw = await PgBench.RunScriptAsync(settings, prefix => PaymentsPgBench.Script(options.Schema, prefix, options.PgBenchBatch), clients, $"p{++run}");

                // A transaction of a batched script is k pairs (its latency is the batch's).
                raw = raw with { Completed = raw.Completed * options.PgBenchBatch, PerSecond = raw.PerSecond * options.PgBenchBatch };
                var check = await PaymentsBenchDatabase.CheckAsync(options);
                consistent &= check.Consistent;
                Console.WriteLine($"         {raw.PerSecond:F0} pairs/s, p50 {raw.P50:F2} ms, p95 {raw.P95:F2} ms, p99 {raw.P99:F2} ms, " +
                    $"{check.WalSyncs / (options.Duration + options.Warmup).TotalSeconds:F0} WAL flushes/s, errors {raw.Errors}" +
                    (check.Consistent ? string.Empty : ", INCONSISTENT tables"));
            }

            foreach (var maxAutoPrepare in options.Engine ? options.MaxAutoPrepare : [])
            {
                await PaymentsBenchDatabase.ResetAsync(options);
                Console.WriteLine($"engine   clients={clients} MaxAutoPrepare={maxAutoPrepare} ...");
                var engine = await PaymentsEngineLoad.RunAsync(options, clients, maxAutoPrepare, $"e{++run}");
                var check = await PaymentsBenchDatabase.CheckAsync(options);
                if (!check.Consistent)
                {
                    engine = engine with { Errors = engine.Errors + 1, FirstError = engine.FirstError ?? "inconsistent tables" };
                }

                Console.WriteLine($"         {engine.PerSecond:F0} pairs/s, p50 {engine.P50:F2} ms, p95 {engine.P95:F2} ms, p99 {engine.P99:F2} ms, " +
                    $"{check.WalSyncs / (options.Duration + options.Warmup).TotalSeconds:F0} WAL flushes/s, errors {engine.Errors}" +
                    (engine.FirstError is null ? string.Empty : $" (first: {engine.FirstError})") +
                    (raw is { PerSecond: > 0 } ? $", {engine.PerSecond / raw.PerSecond:F2}x pgbench" : string.Empty));
                rows.Add((clients, maxAutoPrepare, engine, raw, consistent));
            }

            if (!options.Engine)
            {
                rows.Add((clients, 0, null, raw, consistent));
            }
        }

        var table = new StringBuilder().AppendLine(header).AppendLine()
            .AppendLine("| clients | Max Auto Prepare | engine pairs/s | p50 ms | p95 ms | p99 ms | errors | pgbench pairs/s | pgbench p50/p95/p99 ms | engine/pgbench |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var (clients, maxAutoPrepare, engine, raw, consistent) in rows)
        {
            var e = engine is { } x
                ? string.Create(CultureInfo.InvariantCulture, $"{x.PerSecond:F0} | {x.P50:F2} | {x.P95:F2} | {x.P99:F2} | {x.Errors}")
                : "- | - | - | - | -";
            var p = raw is { } r
                ? string.Create(CultureInfo.InvariantCulture, $"{r.PerSecond:F0}{(consistent ? string.Empty : " (inconsistent)")} | {r.P50:F2} / {r.P95:F2} / {r.P99:F2}")
                : "- | -";
            var ratio = engine is { } en && raw is { PerSecond: > 0 } rw ? string.Create(CultureInfo.InvariantCulture, $"{en.PerSecond / rw.PerSecond:F2}x") : "-";
            table.AppendLine(CultureInfo.InvariantCulture, $"| {clients} | {(engine is null ? "-" : maxAutoPrepare)} | {e} | {p} | {ratio} |");
        }

        Console.WriteLine();
        Console.WriteLine(table);
        if (options.Output is { } output)
        {
            await File.WriteAllTextAsync(output, table.ToString());
        }

        return rows.Any(r => r.Engine is { Errors: > 0 } || !r.Consistent) ? 1 : 0;
    }

    private static async Task<string> DescribeAsync(PaymentsLoadOptions options)
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_sync_method')");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return string.Create(CultureInfo.InvariantCulture,
            $"{TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}; " +
            $"PostgreSQL {reader.GetString(0)} fsync={reader.GetString(1)} synchronous_commit={reader.GetString(2)} wal_sync_method={reader.GetString(3)}; " +
            $"authorize+capture pairs (6 database calls each); pgbench {options.PgBenchBatch} pair(s) per call; {options.Duration.TotalSeconds:F0} s measured after {options.Warmup.TotalSeconds:F0} s warm-up per run");
    }
}
