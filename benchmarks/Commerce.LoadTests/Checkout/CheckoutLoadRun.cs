using System.Globalization;
using System.Text;
using Npgsql;

namespace Commerce.LoadTests.Checkout;

/// <summary>
/// The checkout load run on PostgreSQL (<c>Commerce.LoadTests checkout-postgres ...</c>, see benchmarks/README.md): for each
/// scenario and client count, pgbench's raw figure, then the engine at each PSP latency, each on a freshly re-created
/// and seeded schema, each followed by a check that every checkout finished consistently.
/// </summary>
internal static class CheckoutLoadRun
{
    public static async Task<int> MainAsync(string[] args)
    {
        CheckoutLoadOptions options;
        try
        {
            options = CheckoutLoadOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        if (options.PrintScript is { } printed)
        {
            Console.Write(CheckoutPgBench.Script(options, printed, "pgb"));
            return 0;
        }

        var header = await DescribeAsync(options);
        Console.WriteLine(header);
        var rows = new List<Row>();
        var run = 0;
        foreach (var scenario in options.Scenarios)
        {
            foreach (var clients in options.Clients)
            {
                RunResult? raw = null;
                var rawConsistent = true;
                if (options.PgBench is { } pgbench)
                {
                    await CheckoutBenchDatabase.ResetAsync(options);
                    Console.WriteLine($"pgbench  {scenario,-8} clients={clients} ...");
                    var settings = new PgBenchRun(options.ConnectionString, pgbench, options.PgBenchThreads, options.Warmup, options.Duration);
                    raw = await PgBench.RunScriptAsync(settings, prefix => CheckoutPgBench.Script(options, scenario, prefix), clients, $"p{++run}");

                    // A transaction of a batched script is k checkouts (its latency is the batch's).
                    raw = raw with { Completed = raw.Completed * options.PgBenchBatch, PerSecond = raw.PerSecond * options.PgBenchBatch };
                    var check = await CheckoutBenchDatabase.CheckAsync(options);
                    rawConsistent = check.Consistent;
                    Console.WriteLine($"         {raw.PerSecond:F0} checkouts/s, p50 {raw.P50:F2} ms, p95 {raw.P95:F2} ms, p99 {raw.P99:F2} ms, " +
                        $"{check.WalSyncs / (options.Duration + options.Warmup).TotalSeconds:F0} WAL flushes/s, errors {raw.Errors}" +
                        (check.Consistent ? string.Empty : ", INCONSISTENT tables"));
                }

                foreach (var latency in options.Engine ? options.PspLatencies : [])
                {
                    await CheckoutBenchDatabase.ResetAsync(options);
                    Console.WriteLine($"engine   {scenario,-8} clients={clients} PSP latency={latency} ms ...");
                    var engine = await CheckoutEngineLoad.RunAsync(options, scenario, clients, latency, $"e{++run}");
                    var check = await CheckoutBenchDatabase.CheckAsync(options);
                    if (!check.Consistent)
                    {
                        engine = engine with { Errors = engine.Errors + 1, FirstError = engine.FirstError ?? "inconsistent tables" };
                    }

                    Console.WriteLine($"         {engine.PerSecond:F0} checkouts/s, p50 {engine.P50:F2} ms, p95 {engine.P95:F2} ms, p99 {engine.P99:F2} ms, " +
                        $"{check.WalSyncs / (options.Duration + options.Warmup).TotalSeconds:F0} WAL flushes/s, sold out {engine.SoldOut}, errors {engine.Errors}" +
                        (engine.FirstError is null ? string.Empty : $" (first: {engine.FirstError})") +
                        (raw is { PerSecond: > 0 } ? $", {engine.PerSecond / raw.PerSecond:F2}x pgbench" : string.Empty));
                    rows.Add(new Row(scenario, clients, latency, engine, raw, rawConsistent));
                }

                if (!options.Engine)
                {
                    rows.Add(new Row(scenario, clients, 0, null, raw, rawConsistent));
                }
            }
        }

        var table = new StringBuilder().AppendLine(header).AppendLine()
            .AppendLine("| scenario | clients | PSP latency | engine checkouts/s | p50 ms | p95 ms | p99 ms | errors | pgbench checkouts/s | pgbench p50/p95/p99 ms | engine/pgbench |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var r in rows)
        {
            var scenario = r.Scenario == "hot" ? "hot SKU" : $"uniform {options.Skus:N0} SKUs";
            var e = r.Engine is { } x
                ? string.Create(CultureInfo.InvariantCulture, $"{r.Latency} ms | {x.PerSecond:F0} | {x.P50:F2} | {x.P95:F2} | {x.P99:F2} | {x.Errors}")
                : "- | - | - | - | - | -";
            var p = r.Raw is { } w
                ? string.Create(CultureInfo.InvariantCulture, $"{w.PerSecond:F0}{(r.RawConsistent ? string.Empty : " (inconsistent)")} | {w.P50:F2} / {w.P95:F2} / {w.P99:F2}")
                : "- | -";
            var ratio = r.Engine is { } en && r.Raw is { PerSecond: > 0 } rw ? string.Create(CultureInfo.InvariantCulture, $"{en.PerSecond / rw.PerSecond:F2}x") : "-";
            table.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {r.Clients} | {e} | {p} | {ratio} |");
        }

        Console.WriteLine();
        Console.WriteLine(table);
        if (options.Output is { } output)
        {
            await File.WriteAllTextAsync(output, table.ToString());
        }

        return rows.Any(r => r.Engine is { Errors: > 0 } || !r.RawConsistent) ? 1 : 0;
    }

    private static async Task<string> DescribeAsync(CheckoutLoadOptions options)
    {
        await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_sync_method')");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return string.Create(CultureInfo.InvariantCulture,
            $"{TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}; " +
            $"PostgreSQL {reader.GetString(0)} fsync={reader.GetString(1)} synchronous_commit={reader.GetString(2)} wal_sync_method={reader.GetString(3)}; " +
            $"checkouts of one unit with immediate capture (9 database calls each); Max Auto Prepare {options.MaxAutoPrepare}, No Reset On Close, " +
            $"{options.ConcurrentBatches} concurrent batches per kind of call; pgbench {options.PgBenchBatch} checkout(s) per call; {options.Duration.TotalSeconds:F0} s measured after {options.Warmup.TotalSeconds:F0} s warm-up per run");
    }

    private sealed record Row(string Scenario, int Clients, int Latency, RunResult? Engine, RunResult? Raw, bool RawConsistent);
}
