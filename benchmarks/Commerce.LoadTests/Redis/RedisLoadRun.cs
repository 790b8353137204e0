using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Commerce.Inventory;
using Commerce.PostgreSql;
using Commerce.PostgreSql.Inventory;
using Commerce.Redis.Gate;
using Commerce.Redis.Inventory;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Commerce.LoadTests.Redis;

/// <summary>
/// The Redis load run (benchmarks/run.sh redis): reservations per second through the Redis store and through the gate
/// in front of PostgreSQL, each beside redis-benchmark running the same Lua (EVALSHA, pipelined) on the same server in
/// the same run. Reads COMMERCE_TEST_REDIS and COMMERCE_TEST_POSTGRES.
/// </summary>
public static partial class RedisLoadRun
{
    public static async Task<int> MainAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(Arg(args, "--duration", 5));
        var clients = Arg(args, "--clients", 64);
        var pipeline = Arg(args, "--pipeline", 16);
        var redisBenchmark = args.SkipWhile(a => a != "--redis-benchmark").Skip(1).FirstOrDefault() ?? "redis-benchmark";
        var endpoint = Environment.GetEnvironmentVariable("COMMERCE_TEST_REDIS") ?? throw new InvalidOperationException("COMMERCE_TEST_REDIS is not set.");
        var postgres = Environment.GetEnvironmentVariable("COMMERCE_TEST_POSTGRES") ?? throw new InvalidOperationException("COMMERCE_TEST_POSTGRES is not set.");
        var configuration = ConfigurationOptions.Parse(endpoint);
        configuration.AllowAdmin = true;
        using var redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var (host, port) = (endpoint.Split(':')[0], endpoint.Split(':')[1]);
        Console.WriteLine($"# Redis load run: {Environment.ProcessorCount} cores, Redis {server.Version}, {clients} clients, {duration.TotalSeconds:F0} s per figure, redis-benchmark -c {clients} -P {pipeline}");

        // 1. The store: one Lua script per reservation (RecordEvents on: stock, ledger, reservation, deadline index and outbox).
        await server.FlushAllDatabasesAsync();
        var store = new RedisInventoryStore(redis, new RedisInventoryOptions { KeyPrefix = "bench:" });
        var inventory = new InventoryService(store, Options.Create(new InventoryOptions()), TimeProvider.System);
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("hot"), 1_000_000_000, "bench", new IdempotencyKey("bench-stock")));
        var storeRate = await RunAsync(clients, duration, "s", async id =>
            (await inventory.ReserveAsync(new ReservationRequest(new ReservationId(id), [new ReservationLine(new Sku("hot"), 1)]))).IsSuccess);
        Console.WriteLine($"store reserve           {storeRate,10:F0} reservations/s");

        await server.FlushAllDatabasesAsync();
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("hot"), 1_000_000_000, "bench", new IdempotencyKey("bench-stock")));
        var reserveSha = Convert.ToHexStringLower(await server.ScriptLoadAsync(InventoryScripts.Reserve));
        var now = RedisInventoryStore.Micros(TimeProvider.System.GetUtcNow());
        var rawStore = await RedisBenchmarkAsync(redisBenchmark, host, port, clients, pipeline, duration, storeRate,
            ["EVALSHA", reserveSha, "1", "bench:inv:{0}:", "raw:__rand_int__", "6f1d2c3b0a4e4f5d9c8b7a6e5d4c3b2a",
             now.ToString(CultureInfo.InvariantCulture), (now + 900_000_000).ToString(CultureInfo.InvariantCulture), "1", "1", "hot", "default", "1"]);
        Console.WriteLine($"redis-benchmark reserve {rawStore,10:F0} scripts/s      ratio {storeRate / rawStore:F2}");

        // 2. The gate in front of PostgreSQL: sold-out answers come from Redis alone.
        await server.FlushAllDatabasesAsync();
        await using var dataSource = NpgsqlDataSource.Create(postgres);
        await using (var drop = dataSource.CreateCommand("DROP SCHEMA IF EXISTS redisbench CASCADE"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using var truth = new PostgreSqlInventoryStore(dataSource, new PostgreSqlInventoryOptions { Schema = "redisbench" });
        await truth.MigrateAsync();
        using var gate = new RedisInventoryGate(truth, redis, new RedisGateOptions { KeyPrefix = "bench:" });
        var gated = new InventoryService(gate, Options.Create(new InventoryOptions()), TimeProvider.System);
        await gated.AdjustStockAsync(new StockAdjustment(new Sku("sold-out"), 1, "bench", new IdempotencyKey("so")));
        await gated.ReserveAsync(new ReservationRequest(new ReservationId("the-only-one"), [new ReservationLine(new Sku("sold-out"), 1)]));
        var soldOut = await RunAsync(clients, duration, "g", async id =>
            !(await gated.ReserveAsync(new ReservationRequest(new ReservationId(id), [new ReservationLine(new Sku("sold-out"), 1)]))).IsSuccess);
        Console.WriteLine($"gate sold-out answers   {soldOut,10:F0} answers/s (target 50,000)   database calls during the run: {gate.Admitted + gate.Bypassed - 1}");

        var admitSha = Convert.ToHexStringLower(await server.ScriptLoadAsync(GateScripts.Admit));
        var rawGate = await RedisBenchmarkAsync(redisBenchmark, host, port, clients, pipeline, duration, soldOut,
            ["EVALSHA", admitSha, "1", "bench:gate:{sold-out}:", "default", "raw:__rand_int__", "1", "op", "1000", "86400000"]);
        Console.WriteLine($"redis-benchmark admit   {rawGate,10:F0} scripts/s      ratio {soldOut / rawGate:F2}");

        // 3. Reservations through the gate, made by PostgreSQL (durable when run.sh started it so), and PostgreSQL alone.
        await gated.AdjustStockAsync(new StockAdjustment(new Sku("plenty"), 1_000_000_000, "bench", new IdempotencyKey("pl")));
        var throughGate = await RunAsync(clients, duration, "p", async id =>
            (await gated.ReserveAsync(new ReservationRequest(new ReservationId(id), [new ReservationLine(new Sku("plenty"), 1)]))).IsSuccess);
        Console.WriteLine($"gate + PostgreSQL       {throughGate,10:F0} reservations/s");
        var direct = new InventoryService(truth, Options.Create(new InventoryOptions()), TimeProvider.System);
        var postgresAlone = await RunAsync(clients, duration, "d", async id =>
            (await direct.ReserveAsync(new ReservationRequest(new ReservationId(id), [new ReservationLine(new Sku("plenty"), 1)]))).IsSuccess);
        Console.WriteLine($"PostgreSQL alone        {postgresAlone,10:F0} reservations/s      ratio {throughGate / postgresAlone:F2}");
        await server.FlushAllDatabasesAsync();
        return 0;
    }

    /// <summary>Runs <paramref name="clients"/> loops for a one-second warm-up and then the measured duration; returns successes per second.</summary>
    private static async Task<double> RunAsync(int clients, TimeSpan duration, string tag, Func<string, Task<bool>> operation)
    {
        var stop = Stopwatch.StartNew();
        var warmup = TimeSpan.FromSeconds(1);
        long counted = 0;
        long sequence = 0;
        var measuring = Stopwatch.StartNew();
        var started = false;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (stop.Elapsed < warmup + duration)
            {
                var id = string.Concat(tag, Interlocked.Increment(ref sequence).ToString(CultureInfo.InvariantCulture));
                var ok = await operation(id);
                if (ok && stop.Elapsed >= warmup)
                {
                    if (!Volatile.Read(ref started))
                    {
                        lock (measuring)
                        {
                            if (!started)
                            {
                                measuring.Restart();
                                Volatile.Write(ref started, true);
                            }
                        }
                    }

                    Interlocked.Increment(ref counted);
                }
            }
        })));
        return counted / measuring.Elapsed.TotalSeconds;
    }

    /// <summary>Runs redis-benchmark for about as long as the engine ran (from the engine's rate), quietly; returns requests per second.</summary>
    private static async Task<double> RedisBenchmarkAsync(string executable, string host, string port, int clients, int pipeline, TimeSpan duration, double engineRate, string[] command)
    {
        var requests = Math.Max(100_000, (long)(engineRate * 2 * duration.TotalSeconds));
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-h", host, "-p", port, "-c", clients.ToString(CultureInfo.InvariantCulture), "-P", pipeline.ToString(CultureInfo.InvariantCulture),
                     "-n", requests.ToString(CultureInfo.InvariantCulture), "-r", "1000000000", "-q" }.Concat(command))
        {
            start.ArgumentList.Add(argument);
        }

        Console.WriteLine($"         {executable} {string.Join(' ', start.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Contains('{', StringComparison.Ordinal) ? $"'{a}'" : a))}");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var match = RequestsPerSecond().Matches(output).LastOrDefault()
            ?? throw new InvalidOperationException($"redis-benchmark printed no figure: {output} {await process.StandardError.ReadToEndAsync()}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    [GeneratedRegex(@"([0-9.]+) requests per second")]
    private static partial Regex RequestsPerSecond();
}
