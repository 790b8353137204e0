using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

// A flash sale over HTTP against a running marketplace host (see benchmarks/README.md, "Marketplace over HTTP").
//   dotnet run -c Release --project benchmarks/Marketplace.LoadTests -- --url http://127.0.0.1:5080 --buyers 10000 --units 100
var options = LoadOptions.Parse(args);
if (options is null)
{
    Console.WriteLine(LoadOptions.Usage);
    return 2;
}

using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Connections, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
using var http = new HttpClient(handler) { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(60) };
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);

// 0. Wait for the host (it may still be migrating and seeding).
await LoadRun.WaitReadyAsync(http, TimeSpan.FromSeconds(120));

// 1. The product and its seller; the stock is set to exactly M units so that the oversell check has a known bound.
var product = await http.GetFromJsonAsync<JsonElement>($"/api/products/{options.Sku}", json);
var seller = product.GetProperty("sellerId").GetString()!;
var price = product.GetProperty("priceMinor").GetInt64();
var currency = product.GetProperty("currency").GetString()!;
var sellerClient = await LoadRun.SignedInAsync(http, options.Url, handler, seller, "seller");
var stockSet = await sellerClient.PutAsJsonAsync($"/api/products/{options.Sku}/stock", new { onHand = options.Units }, json);
if (!stockSet.IsSuccessStatusCode)
{
    Console.Error.WriteLine($"Setting the stock failed: {(int)stockSet.StatusCode} {await stockSet.Content.ReadAsStringAsync()}");
    return 1;
}

var before = await LoadRun.StockAsync(sellerClient, options.Sku);
Console.WriteLine($"Flash sale of {options.Sku} ({seller}, {price} {currency} minor units): {options.Buyers} buyers for {before.OnHand} units on hand, " +
                  $"{options.Concurrency} in flight, {options.BrowseWorkers} browse/search workers, up to {options.MaxAttempts} attempts per buyer (429s retried after Retry-After).");

// 2. Tokens for every buyer, before the clock starts (signing in is not what is measured).
var tokens = new string[options.Buyers];
var signIn = Stopwatch.StartNew();
await Parallel.ForAsync(0, options.Buyers, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency }, async (i, ct) =>
    tokens[i] = await LoadRun.TokenAsync(http, $"load-{options.RunId}-{i}", "buyer", ct));
Console.WriteLine($"Signed in {options.Buyers} buyers in {signIn.Elapsed.TotalSeconds:0.0} s.");

// 3. The sale, with background browsing and searching until the last buyer is done.
var stats = new RunStats();
using var stopBrowsing = new CancellationTokenSource();
var browsing = Enumerable.Range(0, options.BrowseWorkers).Select(w => LoadRun.BrowseAsync(http, w, stats, stopBrowsing.Token)).ToArray();
var clock = Stopwatch.StartNew();
var saleStarted = Stopwatch.GetTimestamp();
using var progress = LoadRun.StartProgress(stats, options, clock);
var body = JsonSerializer.SerializeToUtf8Bytes(new { lines = new[] { new { sku = options.Sku, quantity = 1, unitPriceMinor = price } }, currency, paymentToken = "tok_visa" }, json);
await Parallel.ForAsync(0, options.Buyers, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency }, async (i, ct) =>
    await LoadRun.BuyAsync(http, tokens[i], body, options.MaxAttempts, stats, ct));
var saleSeconds = clock.Elapsed.TotalSeconds;
await stopBrowsing.CancelAsync();
await Task.WhenAll(browsing);
progress.Dispose();
Console.WriteLine();

// 4. The invariant: units sold never exceed the units there were, and the stock agrees with the placed orders.
var after = await LoadRun.StockAsync(sellerClient, options.Sku);
var placed = stats.Placed;
var oversell = Math.Max(0, placed - before.OnHand) + Math.Max(0, -after.OnHand) + Math.Max(0, (before.OnHand - after.OnHand) - placed);
var sellOutSeconds = stats.LastPlacedTimestamp == 0 ? 0 : Stopwatch.GetElapsedTime(saleStarted, stats.LastPlacedTimestamp).TotalSeconds;
var report = LoadRun.Report(options, stats, saleSeconds, sellOutSeconds, before, after, oversell);
Console.WriteLine(report);
if (options.Output is { } output)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    await File.WriteAllTextAsync(output, report);
    Console.WriteLine($"Written to {output}.");
}

return oversell == 0 && stats.Unexpected == 0 ? 0 : 1;

/// <summary>The command line.</summary>
internal sealed record LoadOptions(
    Uri Url, string Sku, int Buyers, int Units, int Concurrency, int Connections, int BrowseWorkers, int MaxAttempts, string? Output, string RunId)
{
    public const string Usage = """
        Marketplace.LoadTests: a flash sale over HTTP against a running marketplace host.
          --url <url>            the host (default http://127.0.0.1:5080)
          --sku <sku>            the flash-sale SKU (default flash-console, seeded by the host)
          --buyers <n>           buyers, one unit each (default 10000)
          --units <m>            units on hand at the start; the load run sets the stock through the seller API (default 100)
          --concurrency <c>      checkout requests in flight at once (default 256)
          --connections <n>      HTTP connections to the host (default 256)
          --browse <w>           background browse/search workers (default 8)
          --attempts <a>         attempts per buyer; 429 busy is retried after its Retry-After (default 3)
          --output <file>        also write the report (markdown) there
        """;

    public static LoadOptions? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--help" or "-h" || !args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                return null;
            }

            values[args[i][2..]] = args[++i];
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new LoadOptions(
            new Uri(values.GetValueOrDefault("url", "http://127.0.0.1:5080")),
            values.GetValueOrDefault("sku", "flash-console"),
            Int("buyers", 10_000),
            Int("units", 100),
            Int("concurrency", 256),
            Int("connections", 256),
            Int("browse", 8),
            Int("attempts", 3),
            values.GetValueOrDefault("output"),
            Guid.NewGuid().ToString("N")[..8]);
    }
}

/// <summary>Stock figures from the seller API.</summary>
internal readonly record struct Stock(long OnHand, long Reserved, long Available);

/// <summary>Counters and latencies, shared by every worker.</summary>
internal sealed class RunStats
{
    private long _placed;
    private long _sent;
    private long _done;
    private long _browse;
    private long _unexpected;
    private long _lastPlacedTicks;

    public ConcurrentDictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

    public ConcurrentBag<double> CheckoutMilliseconds { get; } = [];

    public ConcurrentBag<double> BrowseMilliseconds { get; } = [];

    public long Placed => Interlocked.Read(ref _placed);

    public long Sent => Interlocked.Read(ref _sent);

    public long Done => Interlocked.Read(ref _done);

    public long Browse => Interlocked.Read(ref _browse);

    public long Unexpected => Interlocked.Read(ref _unexpected);

    public void Request(double milliseconds, string outcome, bool placed)
    {
        Interlocked.Increment(ref _sent);
        CheckoutMilliseconds.Add(milliseconds);
        Outcomes.AddOrUpdate(outcome, 1, static (_, n) => n + 1);
        if (placed)
        {
            Interlocked.Increment(ref _placed);
            InterlockedMax(ref _lastPlacedTicks, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>When the last unit was placed (a Stopwatch timestamp), 0 before any.</summary>
    public long LastPlacedTimestamp => Interlocked.Read(ref _lastPlacedTicks);

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    public void BuyerDone() => Interlocked.Increment(ref _done);

    public void BrowseRequest(double milliseconds, bool ok)
    {
        Interlocked.Increment(ref _browse);
        BrowseMilliseconds.Add(milliseconds);
        if (!ok)
        {
            Outcomes.AddOrUpdate("browse error", 1, static (_, n) => n + 1);
            Interlocked.Increment(ref _unexpected);
        }
    }

    public void UnexpectedOutcome() => Interlocked.Increment(ref _unexpected);
}

/// <summary>The steps of the run.</summary>
internal static class LoadRun
{
    private static readonly string[] Queries =
    [
        "/api/products?q=mug", "/api/products?q=wireless+headphones", "/api/products?category=garden&maxPriceMinor=3000",
        "/api/products?q=organic&inStock=true", "/api/products?page=2&pageSize=20", "/api/products/flash-console",
        "/api/products?q=console", "/api/products?category=books&minPriceMinor=1000&page=1",
    ];

    public static async Task WaitReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var saleStarted = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.IsSuccessStatusCode && (await http.GetAsync("/api/products?pageSize=1")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (clock.Elapsed < timeout)
            {
                // Not listening yet.
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"The host at {http.BaseAddress} was not ready within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(250);
        }
    }

    public static async Task<string> TokenAsync(HttpClient http, string userId, string role, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/api/dev/tokens", new { userId, role }, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("token").GetString()!;
    }

    public static async Task<HttpClient> SignedInAsync(HttpClient http, Uri url, HttpMessageHandler handler, string userId, string role)
    {
        var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = url };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, userId, role, CancellationToken.None));
        return client;
    }

    public static async Task<Stock> StockAsync(HttpClient seller, string sku)
    {
        var stock = await seller.GetFromJsonAsync<JsonElement>($"/api/products/{sku}/stock");
        return new Stock(stock.GetProperty("onHand").GetInt64(), stock.GetProperty("reserved").GetInt64(), stock.GetProperty("available").GetInt64());
    }

    /// <summary>One buyer: checks out one unit with their own key, retrying a 429 after its Retry-After with the same key.</summary>
    public static async Task BuyAsync(HttpClient http, string token, byte[] body, int maxAttempts, RunStats stats, CancellationToken cancellationToken)
    {
        var key = Guid.NewGuid().ToString();
        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/checkout") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Idempotency-Key", key);
            var started = Stopwatch.GetTimestamp();
            string outcome;
            TimeSpan? retryAfter = null;
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    stats.Request(elapsed, "201 placed", placed: true);
                    break;
                }

                outcome = $"{(int)response.StatusCode} {await CodeAsync(response, cancellationToken)}";
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                }
                else if (response.StatusCode != HttpStatusCode.Conflict)
                {
                    // A flash sale ends in 201, 409 sold out or 429 busy; anything else is worth a look.
                    stats.UnexpectedOutcome();
                }

                stats.Request(elapsed, outcome, placed: false);
            }
            catch (HttpRequestException exception)
            {
                stats.Request(Stopwatch.GetElapsedTime(started).TotalMilliseconds, $"transport {exception.HttpRequestError}", placed: false);
                stats.UnexpectedOutcome();
                break;
            }

            if (retryAfter is not { } delay)
            {
                break;
            }

            await Task.Delay(delay, cancellationToken);
        }

        stats.BuyerDone();
    }

    public static async Task BrowseAsync(HttpClient http, int worker, RunStats stats, CancellationToken cancellationToken)
    {
        var i = worker;
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.GetAsync(Queries[i++ % Queries.Length], cancellationToken);
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                stats.BrowseRequest(Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.IsSuccessStatusCode);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                stats.BrowseRequest(Stopwatch.GetElapsedTime(started).TotalMilliseconds, ok: false);
            }
        }
    }

    /// <summary>Prints progress every half second: on one line on a terminal, a line per second otherwise.</summary>
    public static IDisposable StartProgress(RunStats stats, LoadOptions options, Stopwatch clock)
    {
        var interactive = !Console.IsOutputRedirected;
        var last = TimeSpan.Zero;
        return new Timer(_ =>
        {
            if (!interactive && clock.Elapsed - last < TimeSpan.FromSeconds(1))
            {
                return;
            }

            last = clock.Elapsed;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"[{clock.Elapsed.TotalSeconds,6:0.0}s] buyers done {stats.Done}/{options.Buyers}  requests {stats.Sent}  placed {stats.Placed}/{options.Units}  browse {stats.Browse}  unexpected {stats.Unexpected}");
            Console.Write(interactive ? "\r" + line : line + Environment.NewLine);
        }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(500));
    }

    public static string Report(LoadOptions options, RunStats stats, double seconds, double sellOutSeconds, Stock before, Stock after, long oversell)
    {
        var checkout = stats.CheckoutMilliseconds.ToArray();
        var browse = stats.BrowseMilliseconds.ToArray();
        Array.Sort(checkout);
        Array.Sort(browse);
        var builder = new StringBuilder();
        builder.AppendLine(CultureInfo.InvariantCulture, $"## Flash sale over HTTP: {options.Buyers} buyers, {before.OnHand} units of {options.Sku}");
        builder.AppendLine();
        builder.AppendLine("| | value |");
        builder.AppendLine("|---|---|");
        builder.AppendLine(CultureInfo.InvariantCulture, $"| sale duration | {seconds:0.00} s |");
        builder.AppendLine(CultureInfo.InvariantCulture, $"| checkout requests | {checkout.Length} ({checkout.Length / seconds:0} /s) |");
        builder.AppendLine(CultureInfo.InvariantCulture, $"| checkouts placed | {stats.Placed}, the last {sellOutSeconds:0.00} s after the start ({(sellOutSeconds > 0 ? stats.Placed / sellOutSeconds : 0):0} placed/s while stock lasted) |");
        builder.AppendLine(CultureInfo.InvariantCulture, $"| checkout latency p50 / p95 / p99 / max | {P(checkout, 0.50):0.0} / {P(checkout, 0.95):0.0} / {P(checkout, 0.99):0.0} / {P(checkout, 1):0.0} ms |");
        builder.AppendLine(CultureInfo.InvariantCulture, $"| browse/search requests | {browse.Length} ({browse.Length / seconds:0} /s), p50 / p99 {P(browse, 0.50):0.0} / {P(browse, 0.99):0.0} ms |");
        builder.AppendLine(CultureInfo.InvariantCulture, $"| stock before → after (on hand, reserved) | {before.OnHand}, {before.Reserved} → {after.OnHand}, {after.Reserved} |");
        builder.AppendLine(CultureInfo.InvariantCulture, $"| **oversell** | **{oversell}** |");
        builder.AppendLine(CultureInfo.InvariantCulture, $"| unexpected outcomes | {stats.Unexpected} |");
        builder.AppendLine();
        builder.AppendLine("| outcome (status code) | requests |");
        builder.AppendLine("|---|---|");
        foreach (var (outcome, count) in stats.Outcomes.OrderByDescending(static o => o.Value))
        {
            builder.AppendLine(CultureInfo.InvariantCulture, $"| {outcome} | {count} |");
        }

        return builder.ToString();
    }

    private static async Task<string> CodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            return problem.TryGetProperty("code", out var code) ? code.GetString() ?? "?" : "?";
        }
        catch (JsonException)
        {
            return "(not a problem document)";
        }
    }

    private static double P(double[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
