using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Commerce.Testing;
using Npgsql;

namespace Marketplace.Tests;

/// <summary>
/// The host as users run it: a real process in postgres mode (<c>--storage postgres --postgres ...</c>), driven over
/// real HTTP on a loopback port. Needs the PostgreSQL of <c>./build.sh test</c>; fails under CI without it.
/// </summary>
public sealed partial class PostgresEndToEndTests
{
    [Fact]
    public async Task The_host_in_postgres_mode_migrates_serves_the_contract_and_keeps_state_across_a_restart()
    {
        var connectionString = TestServers.RequirePostgreSql();
        var schema = $"mk_{Guid.NewGuid():N}"[..20];
        try
        {
            string sku;
            string orderId;
            var seller = "pg-seller";
            var buyer = "pg-buyer";
            await using (var host = await HostProcess.StartAsync(connectionString, schema))
            {
                var ready = await (await host.Client.GetAsync("/health/ready")).JsonAsync();
                Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("postgresql").GetProperty("status").GetString());

                // The seeded catalog is in PostgreSQL, searchable through the tsvector index.
                var flash = await (await host.Client.GetAsync("/api/products/flash-console")).JsonAsync();
                Assert.Equal(100, flash.GetProperty("available").GetInt64());

                var sellerClient = await host.ClientForAsync(seller, "seller");
                sku = MarketplaceFactory.NewSku("pg");
                await (await sellerClient.PostJsonAsync("/api/products",
                    new { sku, title = "Speckled stoneware mugs", description = "Hand-thrown in small batches.", priceMinor = 2_400, currency = "USD", category = "kitchen", stock = 6, attributes = new { glaze = "speckled" } }))
                    .JsonAsync(HttpStatusCode.Created);

                // Full text: stemming ("mug" finds "mugs"), description words, attribute values, prefixes; filters.
                foreach (var query in new[] { "q=mug", "q=hand-thrown+batch", "q=speckl", "q=stoneware&category=kitchen&minPriceMinor=2000&maxPriceMinor=3000&inStock=true" })
                {
                    var page = await (await host.Client.GetAsync($"/api/products?{query}")).JsonAsync();
                    Assert.Contains(sku, CatalogTests.Skus(page));
                }

                var none = await (await host.Client.GetAsync("/api/products?q=stoneware&category=garden")).JsonAsync();
                Assert.DoesNotContain(sku, CatalogTests.Skus(none));

                var buyerClient = await host.ClientForAsync(buyer, "buyer");

                // Checkout over HTTP on the PostgreSQL stores: placed, replayed by key, readable, shipped.
                var key = MarketplaceFactory.NewKey();
                var checkout = new { lines = new[] { new { sku, quantity = 2, unitPriceMinor = 2_400 } }, currency = "USD", paymentToken = "tok_visa" };
                var placed = await (await buyerClient.PostJsonAsync("/api/checkout", checkout, key)).JsonAsync(HttpStatusCode.Created);
                orderId = placed.GetProperty("orderId").GetString()!;
                var replay = await (await buyerClient.PostJsonAsync("/api/checkout", checkout, key)).JsonAsync(HttpStatusCode.Created);
                Assert.Equal(orderId, replay.GetProperty("orderId").GetString());
                Assert.Equal(4, await Scenario.AvailableAsync(buyerClient, sku));
                await (await buyerClient.PostJsonAsync("/api/checkout",
                    new { lines = new[] { new { sku, quantity = 1, unitPriceMinor = 2_400 } }, currency = "USD", paymentToken = "tok_decline" }, MarketplaceFactory.NewKey()))
                    .AssertProblemAsync(402, "checkout.declined");
                await (await buyerClient.PostJsonAsync("/api/checkout",
                    new { lines = new[] { new { sku, quantity = 9, unitPriceMinor = 2_400 } }, currency = "USD", paymentToken = "tok_visa" }, MarketplaceFactory.NewKey()))
                    .AssertProblemAsync(409, "checkout.sold_out");
                var shipped = await (await sellerClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{seller}/ship", new { trackingNumber = "PG-1" })).JsonAsync();
                Assert.Equal("shipped", Scenario.Status(shipped));
                var stranger = await host.ClientForAsync("pg-stranger", "seller");
                await (await stranger.GetAsync($"/api/orders/{orderId}")).AssertProblemAsync(404, "marketplace.order_not_found");

                await (await buyerClient.PutJsonAsync($"/api/cart/items/{sku}", new { quantity = 2 })).JsonAsync();
                await (await sellerClient.PutJsonAsync($"/api/products/{sku}/stock", new { onHand = 5 })).JsonAsync();

                // Access control and validation behave as in memory.
                var otherSeller = await host.ClientForAsync("pg-other", "seller");
                await (await otherSeller.PutJsonAsync($"/api/products/{sku}/stock", new { onHand = 0 })).AssertProblemAsync(403, "marketplace.not_product_owner");
                await (await sellerClient.SendRawAsync(HttpMethod.Post, "/api/products", "{\"sku\":\"x\",\"priceMinor\":\"1\"}")).AssertProblemAsync(400, "marketplace.invalid_request");
            }

            // A second start on the same schema: migrations and the seed replay, nothing is reset or duplicated.
            await using (var host = await HostProcess.StartAsync(connectionString, schema))
            {
                var product = await (await host.Client.GetAsync($"/api/products/{sku}")).JsonAsync();
                Assert.Equal(5, product.GetProperty("available").GetInt64());
                Assert.Equal("Speckled stoneware mugs", product.GetProperty("title").GetString());

                var buyerClient = await host.ClientForAsync(buyer, "buyer");
                var cart = await (await buyerClient.GetAsync("/api/cart")).JsonAsync();
                Assert.Equal(sku, cart.GetProperty("lines")[0].GetProperty("sku").GetString());
                Assert.Equal(2, cart.GetProperty("lines")[0].GetProperty("quantity").GetInt32());

                var order = await (await buyerClient.GetAsync($"/api/orders/{orderId}")).JsonAsync();
                Assert.Equal("shipped", Scenario.Status(order));
                Assert.Equal(4_800, order.GetProperty("payment").GetProperty("capturedMinor").GetInt64());

                var all = await (await host.Client.GetAsync("/api/products?pageSize=1")).JsonAsync();
                Assert.Equal(HostProcess.SeedProducts + 2, all.GetProperty("total").GetInt32());
            }
        }
        finally
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The sample host started with <c>dotnet Marketplace.dll</c> on a free port, stopped on dispose.</summary>
    internal sealed partial class HostProcess : IAsyncDisposable
    {
        public const int SeedProducts = 40;

        private readonly Process _process;

        private HostProcess(Process process, Uri address)
        {
            _process = process;
            Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        }

        public HttpClient Client { get; }

        public static async Task<HostProcess> StartAsync(string connectionString, string schema, params string[] extraArgs)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
            foreach (var argument in new[] { "--storage", "postgres", "--postgres", connectionString, "--schema", schema, "--urls", "http://127.0.0.1:0",
                         $"--Marketplace:SeedProducts={SeedProducts}", "--Logging:LogLevel:Default=Warning" }.Concat(extraArgs))
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
            var errors = new System.Text.StringBuilder();
            process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
            process.BeginErrorReadLine();

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                while (true)
                {
                    var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                        ?? throw new InvalidOperationException($"The host exited before listening: {errors}");
                    if (ListeningLine().Match(line) is { Success: true } match)
                    {
                        // Keep draining stdout so that the host never blocks on a full pipe.
                        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                        return new HostProcess(process, new Uri(match.Groups["url"].Value));
                    }
                }
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        public async Task<HttpClient> ClientForAsync(string userId, string role)
        {
            var client = new HttpClient { BaseAddress = Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await MarketplaceFactory.TokenAsync(client, userId, role));
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        [GeneratedRegex(@"Marketplace listening on (?<url>http://[^\s]+)")]
        private static partial Regex ListeningLine();
    }
}
