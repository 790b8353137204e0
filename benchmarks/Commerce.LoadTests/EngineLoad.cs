using System.Diagnostics;
using Commerce.Inventory;
using Commerce.PostgreSql;
using Commerce.PostgreSql.Inventory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.LoadTests;

/// <summary>
/// Drives <see cref="InventoryService"/> over <see cref="PostgreSqlInventoryStore"/> with N async callers, each
/// reserving one unit of one SKU per request, back to back, for the warm-up and then the measured window. Only
/// calls that complete inside the measured window count, for throughput and for latency.
/// </summary>
internal static class EngineLoad
{
    public static async Task<RunResult> RunAsync(LoadOptions options, string scenario, int clients, int batchSize, int concurrentBatches, string runTag)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        builder.MaxPoolSize = Math.Max(builder.MaxPoolSize, concurrentBatches + 4);
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var store = new PostgreSqlInventoryStore(dataSource, new PostgreSqlInventoryOptions
        {
            Schema = options.Schema,
            MaxBatchSize = batchSize,
            MaxConcurrentBatches = concurrentBatches,
        });
        await using (store)
        {
            var inventory = new InventoryService(store, Options.Create(new InventoryOptions()), TimeProvider.System);
            var skus = scenario == "hot"
                ? [new Sku(BenchDatabase.HotSku)]
                : Enumerable.Range(1, options.Skus).Select(n => new Sku(BenchDatabase.UniformSku(n))).ToArray();

            var window = new Window(options.Warmup, options.Duration);
            var callers = new Task<CallerStats>[clients];
            for (var c = 0; c < clients; c++)
            {
                var client = c;
                callers[c] = Task.Run(() => CallAsync(inventory, skus, window, $"{runTag}-{client}-", client));
            }

            var stats = await Task.WhenAll(callers);
            var latencies = new long[stats.Sum(s => s.Latencies.Count)];
            var at = 0;
            foreach (var s in stats)
            {
                s.Latencies.CopyTo(latencies, at);
                at += s.Latencies.Count;
            }

            return RunResult.FromTicks(latencies, Stopwatch.Frequency, options.Duration,
                soldOut: stats.Sum(s => s.SoldOut), errors: stats.Sum(s => s.Errors), firstError: stats.Select(s => s.FirstError).FirstOrDefault(e => e is not null));
        }
    }

    private static async Task<CallerStats> CallAsync(InventoryService inventory, Sku[] skus, Window window, string idPrefix, int seed)
    {
        var random = new Random(seed);
        var stats = new CallerStats();
        long sequence = 0;
        while (true)
        {
            var sku = skus.Length == 1 ? skus[0] : skus[random.Next(skus.Length)];
            var request = new ReservationRequest(new ReservationId(idPrefix + sequence++), [new ReservationLine(sku, 1)]);
            var started = Stopwatch.GetTimestamp();
            if (started >= window.End)
            {
                return stats;
            }

            ReservationResult result = default;
            Exception? error = null;
            try
            {
                result = await inventory.ReserveAsync(request);
            }
            catch (Exception ex) when (ex is NpgsqlException or CommerceException or TimeoutException or InvalidOperationException)
            {
                error = ex;
            }

            var ended = Stopwatch.GetTimestamp();
            if (ended < window.Start || ended > window.End)
            {
                continue;
            }

            if (error is not null)
            {
                stats.Errors++;
                stats.FirstError ??= error.Message;
            }
            else if (!result.IsSuccess)
            {
                stats.SoldOut++;
                stats.Latencies.Add(ended - started);
            }
            else
            {
                stats.Latencies.Add(ended - started);
            }
        }
    }

    private sealed class CallerStats
    {
        public List<long> Latencies { get; } = new(64 * 1024);

        public long SoldOut { get; set; }

        public long Errors { get; set; }

        public string? FirstError { get; set; }
    }

    /// <summary>The measured window, in <see cref="Stopwatch"/> ticks.</summary>
    private sealed class Window(TimeSpan warmup, TimeSpan duration)
    {
        public long Start { get; } = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);

        public long End => Start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    }
}
