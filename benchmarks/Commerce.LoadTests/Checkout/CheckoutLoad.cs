using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using Commerce.Checkout;
using Commerce.Events;
using Commerce.Inventory;
using Commerce.Payments.Providers.Simulated;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Commerce.LoadTests.Checkout;

/// <summary>
/// The checkout load run: N concurrent clients doing checkouts back to back (one unit of one SKU each, a fresh key and
/// buyer per checkout) through <see cref="CheckoutService"/> on the in-memory stores with the simulated PSP, for a
/// fixed time. Reports checkouts per second and p50/p95/p99 latency, then checks that stock, orders and captures agree.
/// <c>dotnet run -c Release --project benchmarks/Commerce.LoadTests -- checkout [--clients 64,10000] [--psp-latency-ms 0,50]
/// [--scenarios uniform,hot] [--duration 10] [--warmup 2]</c>.
/// </summary>
public static class CheckoutLoad
{
    private static readonly Money Price = new(1_999, Currency.USD);

    public static async Task<int> MainAsync(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["--clients"] = "64,1024",
            ["--psp-latency-ms"] = "0,50",
            ["--scenarios"] = "uniform,hot",
            ["--duration"] = "10",
            ["--warmup"] = "2",
            ["--skus"] = "100000",
            ["--events"] = "off",
        };
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!options.ContainsKey(args[i]))
            {
                Console.Error.WriteLine($"Unknown option {args[i]}; known: {string.Join(", ", options.Keys)}");
                return 2;
            }

            options[args[i]] = args[i + 1];
        }

        var clientsList = options["--clients"].Split(',').Select(int.Parse).ToArray();
        var latencies = options["--psp-latency-ms"].Split(',').Select(int.Parse).ToArray();
        var scenarios = options["--scenarios"].Split(',');
        var duration = TimeSpan.FromSeconds(double.Parse(options["--duration"], CultureInfo.InvariantCulture));
        var warmup = TimeSpan.FromSeconds(double.Parse(options["--warmup"], CultureInfo.InvariantCulture));
        var skus = int.Parse(options["--skus"], CultureInfo.InvariantCulture);
        var events = options["--events"] == "on";

        Console.WriteLine($"checkout load, in-memory stores, {Environment.ProcessorCount} cores, server GC {GCSettings.IsServerGC}, " +
            $"{duration.TotalSeconds:0} s measured after {warmup.TotalSeconds:0} s warm-up, " +
            (events ? "events on (a counting publisher; the hosted relays, sweeper and resolver run)" : "events off (no publisher: the default in-memory set-up keeps no outbox)"));
        var table = new StringBuilder();
        table.AppendLine("| scenario | PSP latency | clients | checkouts/s | p50 ms | p95 ms | p99 ms | completed | other outcomes | alloc/checkout | retained/checkout | GC pause | gen2 GCs | events relayed | consistent |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        var failed = false;
        foreach (var scenario in scenarios)
        {
            foreach (var latency in latencies)
            {
                foreach (var clients in clientsList)
                {
                    var row = await RunAsync(scenario, TimeSpan.FromMilliseconds(latency), clients, scenario == "hot" ? 1 : skus, duration, warmup, events);
                    Console.WriteLine(row.Line);
                    table.AppendLine(row.Line);
                    failed |= !row.Consistent;
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine(table);
        return failed ? 1 : 0;
    }

    private static async Task<(string Line, bool Consistent)> RunAsync(
        string scenario, TimeSpan pspLatency, int clients, int skuCount, TimeSpan duration, TimeSpan warmup, bool events)
    {
        var services = new ServiceCollection();
        var publisher = new CountingPublisher();
        if (events)
        {
            // As a host that publishes: every engine records events and its hosted relay drains them.
            services.AddSingleton<IEventPublisher>(publisher);

            // The hosted services log; a host has logging, this bare container gets loggers that write nothing.
            services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        }

        services.AddCommerceInventory();
        services.AddCommerceOrdering();
        services.AddCommercePayments().AddSimulatedProvider(options: new SimulatedPaymentProviderOptions { Latency = pspLatency }, configure: p => p.MaxRetries = 0);
        services.AddCommerceCheckout(o =>
        {
            o.BuyerPermitsPerSecond = null;
            o.MaxConcurrentCheckouts = Math.Max(1, clients);
            o.MaxQueuedCheckouts = clients;
        });
        await using var provider = services.BuildServiceProvider();
        var hosted = events ? provider.GetServices<IHostedService>().ToArray() : [];
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        var inventory = provider.GetRequiredService<InventoryService>();
        var catalog = provider.GetRequiredService<InMemoryPriceCatalog>();
        var checkout = provider.GetRequiredService<CheckoutService>();
        var skus = new Sku[skuCount];
        for (var i = 0; i < skus.Length; i++)
        {
            skus[i] = new Sku($"sku-{i}");
            await inventory.AdjustStockAsync(new StockAdjustment(skus[i], 1_000_000_000, "seed", new IdempotencyKey($"seed-{i}")));
            catalog.Set(skus[i], new SellerId($"seller-{i % 100}"), Price);
        }

        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var run = Guid.NewGuid().ToString("N")[..8];
        var stop = false;
        var measuring = false;
        var samples = new List<double>[clients];
        var completed = new long[clients];
        var other = new long[clients];
        var everCompleted = new long[clients];
        var everPending = new long[clients];
        var tasks = new Task[clients];
        for (var c = 0; c < clients; c++)
        {
            var client = c;
            samples[c] = new List<double>(1024);
            tasks[c] = Task.Run(async () =>
            {
                var random = new Random(client);
                for (var n = 0; !Volatile.Read(ref stop); n++)
                {
                    var id = $"{run}-{client}-{n}";
                    var request = new CheckoutRequest(new IdempotencyKey(id), new BuyerId(id),
                        [new CheckoutLine(skus[random.Next(skus.Length)], 1, Price)], Currency.USD, SimulatedPaymentProvider.SuccessToken);
                    var begin = Stopwatch.GetTimestamp();
                    var result = await checkout.CheckoutAsync(request);
                    if (result.IsSuccess)
                    {
                        everCompleted[client]++;
                    }
                    else if (result.Status == CheckoutStatus.Pending)
                    {
                        // An unknown PSP outcome (a timeout under overload): its unit stays held until the resolver settles it.
                        everPending[client]++;
                    }

                    if (Volatile.Read(ref measuring))
                    {
                        samples[client].Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                        if (result.IsSuccess)
                        {
                            completed[client]++;
                        }
                        else
                        {
                            other[client]++;
                        }
                    }
                }
            });
        }

        // The clients never yield (every in-memory step completes synchronously), so they hold every pool thread; this
        // thread times the run by sleeping rather than awaiting a timer whose continuation would wait for a free pool
        // thread (with the hosted relays running, the pool sees progress and never injects one).
        Thread.Sleep(warmup);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var pausedBefore = GC.GetTotalPauseDuration();
        var gen2Before = GC.CollectionCount(2);
        Volatile.Write(ref measuring, true);
        var window = Stopwatch.StartNew();
        Thread.Sleep(duration);
        Volatile.Write(ref measuring, false);
        window.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        var paused = GC.GetTotalPauseDuration() - pausedBefore;
        var gen2 = GC.CollectionCount(2) - gen2Before;
        Volatile.Write(ref stop, true);
        await Task.WhenAll(tasks);

        // What the stores keep per checkout (sagas, reservations, orders, payments, ledgers, outboxes): the heap the GC
        // has to carry, and the main reason a long in-memory run slows down.
        var retained = (GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / Math.Max(1, everCompleted.Sum() + everPending.Sum());

        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        var all = samples.SelectMany(s => s).ToArray();
        Array.Sort(all);
        var done = completed.Sum();
        var perSecond = done / window.Elapsed.TotalSeconds;

        // The clients stopped: every unit still held belongs to a checkout answered "pending", and what left stock was
        // sold by a checkout answered "completed".
        long onHand = 0, reserved = 0;
        foreach (var sku in skus)
        {
            var level = await inventory.GetStockAsync(sku);
            onHand += level!.OnHand;
            reserved += level.Reserved;
        }

        var sold = (long)skus.Length * 1_000_000_000 - onHand;
        var consistent = reserved == everPending.Sum() && sold == everCompleted.Sum();
        var line = string.Create(CultureInfo.InvariantCulture,
            $"| {scenario} | {pspLatency.TotalMilliseconds:0} ms | {clients:N0} | {perSecond:N0} | {Percentile(all, 0.50):F2} | {Percentile(all, 0.95):F2} | {Percentile(all, 0.99):F2} | {done:N0} | {other.Sum():N0} | {(done > 0 ? allocated / (done + other.Sum()) : 0):N0} B | {retained:N0} B | {paused.TotalMilliseconds / window.Elapsed.TotalMilliseconds:P0} | {gen2} | {(events ? publisher.Count.ToString("N0", CultureInfo.InvariantCulture) : "off")} | {(consistent ? "yes" : "NO")} (held {reserved} = pending {everPending.Sum()}; sold {sold:N0} = completed {everCompleted.Sum():N0}) |");
        return (line, consistent);
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
