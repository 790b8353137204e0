using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;

namespace Commerce.LoadTests;

/// <summary>
/// The PostgreSQL load run (see benchmarks/README.md). For each scenario and client count: pgbench's raw figure,
/// then the engine at each batching setting, every run on a freshly re-created and seeded schema.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "ordering")
        {
            return await Ordering.OrderingLoad.MainAsync(args[1..]);
        }

        if (args is ["checkout", ..])
        {
            return await Checkout.CheckoutLoad.MainAsync(args[1..]);
        }

        if (args is ["payments", ..])
        {
            return await Payments.PaymentsLoadRun.MainAsync(args[1..]);
        }

        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        if (options.PrintScript is { } printed)
        {
            Console.Write(PgBench.Script(options, printed, "pgb"));
            return 0;
        }

        var database = new BenchDatabase(options);
        var header = await DescribeAsync(options);
        Console.WriteLine(header);
        var rows = new List<Row>();
        var run = 0;
        foreach (var scenario in options.Scenarios)
        {
            foreach (var clients in options.Clients)
            {
                RunResult? raw = null;
                if (options.PgBench is not null)
                {
                    await database.ResetAsync();
                    Console.WriteLine($"pgbench  {scenario,-8} clients={clients} ...");
                    raw = await PgBench.RunAsync(options, scenario, clients, $"p{++run}");
                    raw = raw with { Server = await database.ReadCountersAsync() };
                    if (!raw.Server.Consistent)
                    {
                        Console.WriteLine("         INCONSISTENT: pgbench's writes disagree (a stock UPDATE found no row?)");
                    }

                    Console.WriteLine($"         {raw.PerSecond:F0} tps, p50 {raw.P50:F2} ms, p95 {raw.P95:F2} ms, p99 {raw.P99:F2} ms, " +
                        $"{raw.Server.WalSyncs / options.Duration.TotalSeconds:F0} WAL flushes/s (with warm-up), errors {raw.Errors}");
                }

                if (!options.Engine && raw is not null)
                {
                    rows.Add(new Row(scenario, clients, 0, 0, null, raw));
                    continue;
                }

                foreach (var batchSize in options.BatchSizes)
                {
                    foreach (var concurrent in options.ConcurrentBatches)
                    {
                        await database.ResetAsync();
                        Console.WriteLine($"engine   {scenario,-8} clients={clients} MaxBatchSize={batchSize} MaxConcurrentBatches={concurrent} ...");
                        var engine = await EngineLoad.RunAsync(options, scenario, clients, batchSize, concurrent, $"e{++run}");
                        engine = engine with { Server = await database.ReadCountersAsync() };
                        if (!engine.Server.Consistent)
                        {
                            Console.WriteLine("         INCONSISTENT: reserved units, reservations, movements and events disagree");
                            engine = engine with { Errors = engine.Errors + 1, FirstError = engine.FirstError ?? "inconsistent tables" };
                        }

                        var row = new Row(scenario, clients, batchSize, concurrent, engine, raw);
                        rows.Add(row);
                        Console.WriteLine($"         {engine.PerSecond:F0}/s, p50 {engine.P50:F2} ms, p95 {engine.P95:F2} ms, p99 {engine.P99:F2} ms, " +
                            $"{row.AverageBatch:F1} reservations per call, sold out {engine.SoldOut}, errors {engine.Errors}" +
                            (engine.FirstError is null ? string.Empty : $" (first: {engine.FirstError})") +
                            (raw is null ? string.Empty : $", {row.Ratio:F2}x pgbench"));
                    }
                }
            }
        }

        var table = Table(header, options, rows);
        Console.WriteLine();
        Console.WriteLine(table);
        if (options.Output is { } output)
        {
            await File.WriteAllTextAsync(output, table);
        }

        return rows.Any(r => r.Engine is { Errors: > 0 }) ? 1 : 0;
    }

    private static async Task<string> DescribeAsync(LoadOptions options)
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_sync_method')");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return string.Create(CultureInfo.InvariantCulture,
            $"{TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
            $".NET {Environment.Version}; PostgreSQL {reader.GetString(0)} fsync={reader.GetString(1)} synchronous_commit={reader.GetString(2)} " +
            $"wal_sync_method={reader.GetString(3)}; {options.Duration.TotalSeconds:F0} s measured after {options.Warmup.TotalSeconds:F0} s warm-up per run");
    }

    private static string Table(string header, LoadOptions options, List<Row> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{header}").AppendLine();
        text.AppendLine("| scenario | clients | batch | batches | engine res/s | p50 ms | p95 ms | p99 ms | per call | sold out | pgbench tps | pgbench p50/p95/p99 ms | engine/pgbench | target |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
        foreach (var r in rows)
        {
            var scenario = r.Scenario == "hot" ? "hot SKU" : $"uniform {options.Skus:N0} SKUs";
            var engine = r.Engine is { } e
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{r.BatchSize} | {r.Concurrent} | {e.PerSecond:F0} | {e.P50:F2} | {e.P95:F2} | {e.P99:F2} | {r.AverageBatch:F1} | {(e.Completed == 0 ? 0 : 100.0 * e.SoldOut / e.Completed):F1}%")
                : "- | - | - | - | - | - | - | -";
            var raw = r.Raw is { } p
                ? string.Create(CultureInfo.InvariantCulture, $"{p.PerSecond:F0} | {p.P50:F2} / {p.P95:F2} / {p.P99:F2} | {r.Ratio:F2}x")
                : "- | - | -";
            var target = r.Raw is null || r.Engine is null ? "-" : r.Ratio >= r.Target ? $"met (>= {r.Target:0.0}x)" : $"MISSED (>= {r.Target:0.0}x)";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {r.Clients} | {engine} | {raw} | {target} |");
        }

        return text.ToString();
    }

    private sealed record Row(string Scenario, int Clients, int BatchSize, int Concurrent, RunResult? Engine, RunResult? Raw)
    {
        public double Ratio => Raw is { PerSecond: > 0 } raw && Engine is { } engine ? engine.PerSecond / raw.PerSecond : double.NaN;

        public double Target => Scenario == "hot" ? 4.0 : 0.9;

        /// <summary>Reservations per call of the batched function, over the whole run (warm-up included).</summary>
        public double AverageBatch => Engine is { Server.ReserveCalls: > 0 } e ? (double)e.Server.Reservations / e.Server.ReserveCalls : double.NaN;
    }
}
