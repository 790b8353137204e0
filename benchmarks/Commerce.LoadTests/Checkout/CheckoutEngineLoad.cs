using System.Diagnostics;
using Commerce.Checkout;
using Commerce.Payments.Providers.Simulated;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.LoadTests.Checkout;

/// <summary>
/// Drives <see cref="CheckoutService"/> with every store on PostgreSQL, wired as an application would
/// (<c>AddCommerceInventory/Ordering/Payments/Checkout().UsePostgreSql(...)</c>, the simulated PSP at the given latency,
/// immediate capture): N async callers, each checking out one unit of a SKU (uniform or the hot one) with a new
/// idempotency key, back to back. A checkout completed inside the measured window counts once, with its latency.
/// Relays and the recovery worker are not started (hosted services are not run), so the figure is the request path.
/// </summary>
internal static class CheckoutEngineLoad
{
    public static readonly Money Price = new(2_500, Currency.EUR);

    public static async Task<RunResult> RunAsync(CheckoutLoadOptions options, string scenario, int clients, int pspLatencyMs, string runTag)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        builder.MaxPoolSize = Math.Max(builder.MaxPoolSize, clients + options.ConcurrentBatches + 8);
        if (options.MaxAutoPrepare > 0)
        {
            builder.MaxAutoPrepare = options.MaxAutoPrepare;
        }

        // The stores keep no session state (their advisory locks are transaction-scoped), so a connection going back to
        // the pool needs no reset: without this, every command is followed by a session reset (3 statements) on the server.
        builder.NoResetOnClose = true;

        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var services = new ServiceCollection();
        services.AddSingleton(dataSource);
        services.AddCommerceInventory().UsePostgreSql(_ => dataSource, o => (o.Schema, o.MigrateOnStart) = (options.Schema, false));
        services.AddCommerceOrdering().UsePostgreSql(_ => dataSource, o => (o.Schema, o.MigrateOnStart) = (options.Schema, false));
        services.AddCommercePayments()
            .AddSimulatedProvider(options: new SimulatedPaymentProviderOptions { Latency = TimeSpan.FromMilliseconds(pspLatencyMs) })
            .UsePostgreSql(_ => dataSource, o => (o.Schema, o.MigrateOnStart, o.MaxConcurrentBatches) = (options.Schema, false, options.ConcurrentBatches));
        services.AddCommerceCheckout(o =>
            {
                o.BuyerPermitsPerSecond = null;
                o.GlobalPermitsPerSecond = null;
                o.MaxConcurrentCheckouts = Math.Max(o.MaxConcurrentCheckouts, clients);
                o.MaxQueuedCheckouts = Math.Max(o.MaxQueuedCheckouts, clients);
            })
            .UsePostgreSql(o => (o.Schema, o.MigrateOnStart, o.MaxConcurrentBatches) = (options.Schema, false, options.ConcurrentBatches));
        await using var provider = services.BuildServiceProvider();
        var catalog = provider.GetRequiredService<InMemoryPriceCatalog>();
        var seller = new SellerId("seller-1");
        if (scenario == "hot")
        {
            catalog.Set(new Sku(CheckoutBenchDatabase.HotSku), seller, Price);
        }
        else
        {
            for (var i = 1; i <= options.Skus; i++)
            {
                catalog.Set(new Sku(CheckoutBenchDatabase.UniformSku(i)), seller, Price);
            }
        }

        var checkout = provider.GetRequiredService<CheckoutService>();
        var window = new Window(options.Warmup, options.Duration);
        var callers = new Task<CallerStats>[clients];
        for (var c = 0; c < clients; c++)
        {
            var prefix = $"{runTag}-{c}-";
            var random = new Random(c);
            callers[c] = Task.Run(() => CallAsync(checkout, window, prefix,
                () => scenario == "hot" ? CheckoutBenchDatabase.HotSku : CheckoutBenchDatabase.UniformSku(random.Next(1, options.Skus + 1))));
        }

        var stats = await Task.WhenAll(callers);
        var latencies = stats.SelectMany(s => s.Latencies).ToArray();
        return RunResult.FromTicks(latencies, Stopwatch.Frequency, options.Duration,
            soldOut: stats.Sum(s => s.SoldOut), errors: stats.Sum(s => s.Errors), firstError: stats.Select(s => s.FirstError).FirstOrDefault(e => e is not null));
    }

    private static async Task<CallerStats> CallAsync(CheckoutService checkout, Window window, string prefix, Func<string> pick)
    {
        var stats = new CallerStats();
        for (long n = 0; ; n++)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= window.End)
            {
                return stats;
            }

            var request = new CheckoutRequest(new IdempotencyKey(prefix + n), new BuyerId(prefix + "b"),
                [new CheckoutLine(new Sku(pick()), 1, Price)], Currency.EUR, SimulatedPaymentProvider.SuccessToken);
            string? failure = null;
            var soldOut = false;
            try
            {
                var result = await checkout.CheckoutAsync(request, CancellationToken.None);
                if (result.Status != CheckoutStatus.Completed)
                {
                    soldOut = result.Error?.Code == CheckoutErrorCodes.SoldOut;
                    failure = $"{result.Status}: {result.Error?.Code} {result.Error?.Message}";
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or CommerceException or TimeoutException or InvalidOperationException)
            {
                failure = ex.Message;
            }

            var ended = Stopwatch.GetTimestamp();
            if (ended < window.Start || ended > window.End)
            {
                continue;
            }

            if (soldOut)
            {
                stats.SoldOut++;
            }
            else if (failure is not null)
            {
                stats.Errors++;
                stats.FirstError ??= failure;
            }
            else
            {
                stats.Latencies.Add(ended - started);
            }
        }
    }

    private sealed class CallerStats
    {
        public List<long> Latencies { get; } = new(16 * 1024);

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
