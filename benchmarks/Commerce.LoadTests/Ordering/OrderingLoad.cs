using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Commerce.Events;
using Commerce.Ordering;
using Commerce.PostgreSql;
using Commerce.PostgreSql.Ordering;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.LoadTests.Ordering;

/// <summary>
/// The ordering load run (see benchmarks/README.md, "Ordering"): order transitions per second through
/// <see cref="OrderService"/> over <see cref="PostgreSqlOrderStore"/> with the outbox relay running, beside pgbench
/// running the same writes as raw SQL, with the same relay draining the same outbox table.
/// Each order goes place, pay, ship, deliver: four transitions, each with its event and outbox message.
/// </summary>
internal static class OrderingLoad
{
    public const string Usage = """
        Commerce.LoadTests ordering: order transitions/s of OrderService + PostgreSqlOrderStore with the outbox relay
        running, beside pgbench running the same writes as raw SQL (relay running too), against the same server.

          --connection <npgsql>   connection string (default: $COMMERCE_TEST_POSTGRES)
          --duration <s>          measured seconds per run (default 20)
          --warmup <s>            unmeasured seconds before each run (default 3)
          --clients 64[,..]       concurrent callers (engine) and connections (pgbench) (default 64)
          --schema <name>         schema to (re)create; it is dropped first (default bench_ordering)
          --pgbench <path>|off    pgbench executable, or off (default: $PG_BIN/pgbench, else pgbench on PATH)
          --engine on|off         run the engine (default on)
          --output <file>         also write the result table (markdown) there
        """;

    public static async Task<int> MainAsync(string[] args)
    {
        var connection = Environment.GetEnvironmentVariable("COMMERCE_TEST_POSTGRES") ?? string.Empty;
        var duration = TimeSpan.FromSeconds(20);
        var warmup = TimeSpan.FromSeconds(3);
        int[] clients = [64];
        var schema = "bench_ordering";
        var bin = Environment.GetEnvironmentVariable("PG_BIN");
        string? pgbench = !string.IsNullOrEmpty(bin) && File.Exists(Path.Combine(bin, "pgbench")) ? Path.Combine(bin, "pgbench") : "pgbench";
        var engine = true;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help" || i + 1 >= args.Length)
            {
                Console.Error.WriteLine(Usage);
                return 2;
            }

            var value = args[++i];
            switch (args[i - 1])
            {
                case "--connection": connection = value; break;
                case "--duration": duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--warmup": warmup = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--clients": clients = [.. value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))]; break;
                case "--schema": schema = value; break;
                case "--pgbench": pgbench = value == "off" ? null : value; break;
                case "--engine": engine = value != "off"; break;
                case "--output": output = value; break;
                default:
                    Console.Error.WriteLine($"Unknown option {args[i - 1]}.\n{Usage}");
                    return 2;
            }
        }

        if (string.IsNullOrWhiteSpace(connection))
        {
            Console.Error.WriteLine($"No connection string: pass --connection or set COMMERCE_TEST_POSTGRES.\n{Usage}");
            return 2;
        }

        var header = await DescribeAsync(connection, duration, warmup);
        Console.WriteLine(header);
        var table = new StringBuilder().AppendLine(header).AppendLine()
            .AppendLine("| clients | engine transitions/s | p50 ms | p95 ms | p99 ms | relayed events/s | outbox left | pgbench transitions/s | pgbench p50/p95/p99 ms | pgbench relayed/s | engine/pgbench |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        var failed = false;
        foreach (var n in clients)
        {
            RunFigures? raw = null;
            if (pgbench is not null)
            {
                await ResetAsync(connection, schema);
                Console.WriteLine($"pgbench  clients={n} ...");
                raw = await RunWithRelayAsync(connection, schema, duration, warmup,
                    () => OrderingPgBench.RunAsync(pgbench, connection, schema, n, duration, warmup));
                Console.WriteLine($"         {raw}");
            }

            RunFigures? measured = null;
            if (engine)
            {
                await ResetAsync(connection, schema);
                Console.WriteLine($"engine   clients={n} ...");
                measured = await RunWithRelayAsync(connection, schema, duration, warmup, () => RunEngineAsync(connection, schema, n, duration, warmup));
                Console.WriteLine($"         {measured}");
                failed |= measured.Errors > 0 || !measured.Consistent;
            }

            string Cell(RunFigures? f, Func<RunFigures, string> text) => f is null ? "-" : text(f);
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {n} | {Cell(measured, f => $"{f.TransitionsPerSecond:F0}")} | {Cell(measured, f => $"{f.P50:F2}")} | {Cell(measured, f => $"{f.P95:F2}")} | " +
                $"{Cell(measured, f => $"{f.P99:F2}")} | {Cell(measured, f => $"{f.RelayedPerSecond:F0}")} | {Cell(measured, f => $"{f.OutboxLeft}")} | " +
                $"{Cell(raw, f => $"{f.TransitionsPerSecond:F0}")} | {Cell(raw, f => $"{f.P50:F2} / {f.P95:F2} / {f.P99:F2}")} | {Cell(raw, f => $"{f.RelayedPerSecond:F0}")} | " +
                $"{(measured is null || raw is null ? "-" : $"{measured.TransitionsPerSecond / raw.TransitionsPerSecond:F2}x")} |");
        }

        Console.WriteLine();
        Console.WriteLine(table);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, table.ToString());
        }

        return failed ? 1 : 0;
    }

    private static async Task ResetAsync(string connection, string schema)
    {
        await using var dataSource = NpgsqlDataSource.Create(connection);
        await using (var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await new PostgreSqlOrderStore(dataSource, new PostgreSqlOrderingOptions { Schema = schema }).MigrateAsync();
        await using var checkpoint = dataSource.CreateCommand("CHECKPOINT");
        await checkpoint.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a contestant while an <see cref="OutboxRelay"/> drains the ordering outbox into a counting publisher.</summary>
    private static async Task<RunFigures> RunWithRelayAsync(string connection, string schema, TimeSpan duration, TimeSpan warmup, Func<Task<RunFigures>> run)
    {
        await using var dataSource = NpgsqlDataSource.Create(connection);
        var store = new PostgreSqlOrderStore(dataSource, new PostgreSqlOrderingOptions { Schema = schema });
        var publisher = new CountingPublisher();
        using var stop = new CancellationTokenSource();
        var relay = new OutboxRelay(store.Outbox, publisher, new OutboxRelayOptions { IdleDelay = TimeSpan.FromMilliseconds(10) }).RunAsync(stop.Token);
        var relayedBefore = 0L;
        var measuring = Task.Delay(warmup).ContinueWith(_ => relayedBefore = publisher.Count, TaskScheduler.Default);
        var relayedAfter = 0L;
        var measured = Task.Delay(warmup + duration).ContinueWith(_ => relayedAfter = publisher.Count, TaskScheduler.Default);
        var figures = await run();
        await Task.WhenAll(measuring, measured);
        await stop.CancelAsync();
        await relay;

        await using var counts = dataSource.CreateCommand(
            $"SELECT (SELECT count(*) FROM {schema}.ordering_events), (SELECT count(*) FROM {schema}.ordering_outbox), " +
            $"(SELECT count(*) FROM {schema}.ordering_outbox WHERE published_at IS NULL), (SELECT count(*) FROM {schema}.ordering_orders)");
        await using var reader = await counts.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (events, outbox, left, orders) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        return figures with
        {
            RelayedPerSecond = (relayedAfter - relayedBefore) / duration.TotalSeconds,
            OutboxLeft = left,
            // Every stored change has exactly one outbox message, and every order's history is whole.
            Consistent = events == outbox && events >= orders && figures.Consistent,
        };
    }

    private static async Task<RunFigures> RunEngineAsync(string connection, string schema, int clients, TimeSpan duration, TimeSpan warmup)
    {
        // Automatic preparation is the engine's counterpart of pgbench's -M prepared (both sides parse each statement once per connection).
        var builder = new NpgsqlConnectionStringBuilder(connection) { MaxPoolSize = Math.Max(clients + 8, 100), MaxAutoPrepare = 16, AutoPrepareMinUsages = 2 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var store = new PostgreSqlOrderStore(dataSource, new PostgreSqlOrderingOptions { Schema = schema });
        var orders = new OrderService(store, Options.Create(new OrderingOptions()), TimeProvider.System);
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var callers = Enumerable.Range(0, clients).Select(c => Task.Run(() => DriveAsync(orders, c, measureFrom, end))).ToArray();
        var stats = await Task.WhenAll(callers);
        var latencies = stats.SelectMany(s => s.Latencies).ToArray();
        Array.Sort(latencies);
        double Ms(double q) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))] * 1000.0 / Stopwatch.Frequency;
        return new RunFigures(latencies.Length / duration.TotalSeconds, Ms(0.50), Ms(0.95), Ms(0.99), stats.Sum(s => s.Errors), stats.Select(s => s.FirstError).FirstOrDefault(e => e is not null));
    }

    private static async Task<CallerStats> DriveAsync(OrderService orders, int client, long measureFrom, long end)
    {
        var stats = new CallerStats();
        var seller = new SellerId($"seller-{client % 16}");
        var buyer = new BuyerId($"buyer-{client}");
        for (var n = 0; ; n++)
        {
            var id = new OrderId($"e{client}-{n}");
            OrderCommand[] lifecycle =
            [
                new PlaceOrder(id, new CommandId("place"), "checkout", buyer, [new OrderLine(new Sku("sku-1"), seller, 1, new Money(1_000, Currency.USD))]),
                new MarkPaid(id, new CommandId("pay"), "psp"),
                new ShipFulfilment(id, new CommandId("ship"), seller.Value, seller, "TRACK-1"),
                new DeliverFulfilment(id, new CommandId("deliver"), "carrier", seller),
            ];
            foreach (var command in lifecycle)
            {
                var started = Stopwatch.GetTimestamp();
                if (started >= end)
                {
                    return stats;
                }

                try
                {
                    var result = await orders.ExecuteAsync(command);
                    if (!result.IsSuccess || result.IsReplay)
                    {
                        throw new InvalidOperationException($"unexpected outcome {result}");
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or CommerceException or InvalidOperationException or TimeoutException)
                {
                    stats.Errors++;
                    stats.FirstError ??= ex.Message;
                    break;
                }

                var finished = Stopwatch.GetTimestamp();
                if (started >= measureFrom && finished <= end)
                {
                    stats.Latencies.Add(finished - started);
                }
            }
        }
    }

    private static async Task<string> DescribeAsync(string connection, TimeSpan duration, TimeSpan warmup)
    {
        await using var dataSource = NpgsqlDataSource.Create(connection);
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_sync_method')");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return string.Create(CultureInfo.InvariantCulture,
            $"ordering, {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
            $".NET {Environment.Version}; PostgreSQL {reader.GetString(0)} fsync={reader.GetString(1)} synchronous_commit={reader.GetString(2)} " +
            $"wal_sync_method={reader.GetString(3)}; {duration.TotalSeconds:F0} s measured after {warmup.TotalSeconds:F0} s warm-up per run; relay running");
    }

    private sealed class CallerStats
    {
        public List<long> Latencies { get; } = [];

        public long Errors { get; set; }

        public string? FirstError { get; set; }
    }
}

/// <summary>One contestant's figures: transitions per second and per-transition latency in the measured window.</summary>
internal sealed record RunFigures(double TransitionsPerSecond, double P50, double P95, double P99, long Errors, string? FirstError)
{
    public double RelayedPerSecond { get; init; }

    public long OutboxLeft { get; init; }

    public bool Consistent { get; init; } = true;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{TransitionsPerSecond:F0} transitions/s, p50 {P50:F2} ms, p95 {P95:F2} ms, p99 {P99:F2} ms, relayed {RelayedPerSecond:F0}/s, " +
        $"outbox left {OutboxLeft}, errors {Errors}{(FirstError is null ? string.Empty : $" (first: {FirstError})")}{(Consistent ? string.Empty : ", INCONSISTENT")}");
}
