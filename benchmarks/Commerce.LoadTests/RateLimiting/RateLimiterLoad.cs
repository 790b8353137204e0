using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.RateLimiting;
using Commerce.Redis.RateLimiting;
using StackExchange.Redis;

namespace Commerce.LoadTests.RateLimiting;

/// <summary>
/// The Redis rate limiter's load run: acquisitions per second through <see cref="RedisTokenBucketRateLimiter"/> /
/// <see cref="RedisPartitionedTokenBucketRateLimiter"/> from many concurrent callers on one multiplexer, beside
/// redis-benchmark running the limiter's own Lua script (<c>EVALSHA</c>, same arguments) on the same server.
/// Scenarios: <c>grant</c> (a budget never exhausted: every call refills and writes), <c>reject</c> (an empty bucket:
/// every call is a read-only rejection), <c>buyers</c> (one bucket per buyer, 100,000 buyers, 5 per 10 s).
/// </summary>
internal static class RateLimiterLoad
{
    private const int Buyers = 100_000;

    public static async Task<int> MainAsync(string[] args)
    {
        var redis = Environment.GetEnvironmentVariable("COMMERCE_TEST_REDIS") ?? "127.0.0.1:6379";
        var workers = 64;
        var duration = TimeSpan.FromSeconds(10);
        var warmup = TimeSpan.FromSeconds(2);
        var benchmarkRequests = 400_000;
        string? output = null;
        string[] scenarios = ["grant", "reject", "buyers"];
        for (var i = 0; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--redis": redis = args[i + 1]; break;
                case "--workers": workers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--duration": duration = TimeSpan.FromSeconds(double.Parse(args[i + 1], CultureInfo.InvariantCulture)); break;
                case "--warmup": warmup = TimeSpan.FromSeconds(double.Parse(args[i + 1], CultureInfo.InvariantCulture)); break;
                case "--requests": benchmarkRequests = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--output": output = args[i + 1]; break;
                case "--scenarios": scenarios = args[i + 1].Split(','); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }

        using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var database = connection.GetDatabase();
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var sha = Convert.ToHexStringLower((byte[])(await server.ScriptLoadAsync(RedisTokenBucket.Script))!);
        var (host, port) = SplitEndpoint(redis);
        var header = string.Create(CultureInfo.InvariantCulture,
            $"{TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores (client and server share them), " +
            $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}; Redis {server.Version}; {workers} concurrent callers on one " +
            $"multiplexer, {duration.TotalSeconds:F0} s after {warmup.TotalSeconds:F0} s warm-up; redis-benchmark {benchmarkRequests:N0} EVALSHA of the same script");
        Console.WriteLine(header);

        // The first run of a fresh process measured far below the later ones (JIT tiers, thread pool growth): one
        // unmeasured pass first.
        Console.WriteLine("warm-up ...");
        var warmupRun = $"bench:{Guid.NewGuid():N}:";
        await RunLimiterAsync(database, new RedisTokenBucketRateLimiterOptions { Name = "warmup", TokenLimit = 1_000_000_000, TokensPerPeriod = 1_000_000_000 },
            warmupRun, partitioned: false, workers, TimeSpan.Zero, warmup * 2);
        await CleanAsync(server, database, warmupRun);

        var table = new StringBuilder();
        table.AppendLine(header).AppendLine();
        table.AppendLine("| scenario | limiter acquisitions/s | p50 / p99 ms | bytes/acquisition | admitted | redis-benchmark -c 50 -P 1 | -c 50 -P 16 | limiter / -P 16 |");
        table.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var scenario in scenarios)
        {
            var run = $"bench:{Guid.NewGuid():N}:";
            var options = scenario switch
            {
                "grant" => new RedisTokenBucketRateLimiterOptions { Name = "grant", TokenLimit = 1_000_000_000, TokensPerPeriod = 1_000_000_000 },
                "reject" => new RedisTokenBucketRateLimiterOptions { Name = "reject", TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromHours(1) },
                _ => new RedisTokenBucketRateLimiterOptions { Name = "buyers", TokenLimit = 5, TokensPerPeriod = 5, ReplenishmentPeriod = TimeSpan.FromSeconds(10) },
            };
            Console.WriteLine($"limiter  {scenario} ...");
            var engine = await RunLimiterAsync(database, options, run, scenario == "buyers", workers, warmup, duration);
            Console.WriteLine($"         {engine.PerSecond:F0}/s, p50 {engine.P50:F2} ms, p99 {engine.P99:F2} ms, {engine.BytesPerOp:F0} B/op, admitted {engine.Admitted:P1}");

            // redis-benchmark: the same script with the same arguments; keys under a fresh prefix.
            var key = scenario == "buyers" ? $"{run}raw:{{__rand_int__}}" : $"{run}raw:{{{scenario}}}";
            var periodMicroseconds = (options.ReplenishmentPeriod.Ticks / TimeSpan.TicksPerMicrosecond).ToString(CultureInfo.InvariantCulture);
            string[] command = ["EVALSHA", sha, "1", key, options.TokenLimit.ToString(CultureInfo.InvariantCulture),
                options.TokensPerPeriod.ToString(CultureInfo.InvariantCulture), periodMicroseconds, "1", ""];
            var plain = await RedisBenchmarkAsync(host, port, 50, 1, benchmarkRequests, command);
            var pipelined = await RedisBenchmarkAsync(host, port, 50, 16, benchmarkRequests, command);
            Console.WriteLine($"         redis-benchmark -P 1: {plain:F0}/s, -P 16: {pipelined:F0}/s");
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {scenario} | {engine.PerSecond:N0} | {engine.P50:F2} / {engine.P99:F2} | {engine.BytesPerOp:F0} | {engine.Admitted:P1} | {plain:N0} | {pipelined:N0} | {engine.PerSecond / pipelined:F2}x |"));
            await CleanAsync(server, database, run);
        }

        Console.WriteLine();
        Console.WriteLine(table);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, table.ToString());
        }

        return 0;
    }

    private sealed record LimiterResult(double PerSecond, double P50, double P99, double BytesPerOp, double Admitted);

    private static async Task<LimiterResult> RunLimiterAsync(
        IDatabase database, RedisTokenBucketRateLimiterOptions options, string prefix, bool partitioned, int workers, TimeSpan warmup, TimeSpan duration)
    {
        using var global = new RedisTokenBucketRateLimiter(database, options, prefix);
        using var perBuyer = new RedisPartitionedTokenBucketRateLimiter(database, options, prefix);
        var buyers = Enumerable.Range(0, Buyers).Select(i => $"buyer-{i}").ToArray();

        // Per worker: a latency histogram in 10-microsecond buckets up to 100 ms (allocated before measuring).
        var histograms = Enumerable.Range(0, workers).Select(_ => new long[10_001]).ToArray();
        var admitted = new long[workers];
        var measuring = 0;
        var stop = 0;
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            var histogram = histograms[w];
            while (Volatile.Read(ref stop) == 0)
            {
                var started = Stopwatch.GetTimestamp();
                using var lease = partitioned
                    ? await perBuyer.AcquireAsync(buyers[random.Next(Buyers)], 1)
                    : await global.AcquireAsync(1);
                if (Volatile.Read(ref measuring) == 1)
                {
                    var micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                    histogram[Math.Min(micros / 10, histogram.Length - 1)]++;
                    if (lease.IsAcquired)
                    {
                        admitted[w]++;
                    }
                }
            }
        })).ToArray();

        await Task.Delay(warmup);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var startedAt = Stopwatch.GetTimestamp();
        Volatile.Write(ref measuring, 1);
        await Task.Delay(duration);
        Volatile.Write(ref measuring, 0);
        var elapsed = Stopwatch.GetElapsedTime(startedAt);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(tasks);

        var merged = new long[histograms[0].Length];
        foreach (var histogram in histograms)
        {
            for (var i = 0; i < merged.Length; i++)
            {
                merged[i] += histogram[i];
            }
        }

        var total = merged.Sum();
        return new LimiterResult(
            total / elapsed.TotalSeconds, Percentile(merged, total, 0.50), Percentile(merged, total, 0.99),
            (double)allocated / Math.Max(total, 1), (double)admitted.Sum() / Math.Max(total, 1));
    }

    private static double Percentile(long[] histogram, long total, double quantile)
    {
        var target = (long)Math.Ceiling(total * quantile);
        long seen = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            seen += histogram[i];
            if (seen >= target)
            {
                return (i + 1) * 10 / 1000.0;
            }
        }

        return double.NaN;
    }

    private static async Task<double> RedisBenchmarkAsync(string host, int port, int clients, int pipeline, int requests, string[] command)
    {
        var start = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-h", host, "-p", port.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
                     "-P", pipeline.ToString(CultureInfo.InvariantCulture), "-n", requests.ToString(CultureInfo.InvariantCulture), "-r", Buyers.ToString(CultureInfo.InvariantCulture), "--csv" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        // --csv: a header line, then "command","rps",... per test.
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        var fields = line.Split(',');
        return fields.Length > 1 && double.TryParse(fields[1].Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var rps)
            ? rps
            : throw new InvalidOperationException($"redis-benchmark printed no figure: {text}");
    }

    private static async Task CleanAsync(IServer server, IDatabase database, string prefix)
    {
        await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
        {
            await database.KeyDeleteAsync(key, CommandFlags.FireAndForget);
        }
    }

    private static (string Host, int Port) SplitEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..].Split(',')[0], CultureInfo.InvariantCulture));
    }
}
