using System.Text.Json;

namespace Marketplace.Tests;

public sealed class NotificationTests(MarketplaceFactory factory)
{
    [Fact]
    public async Task Order_events_reach_the_buyers_and_the_sellers_feeds_and_no_one_elses()
    {
        var seller = MarketplaceFactory.NewUser("seller");
        var sellerClient = await factory.SellerAsync(seller);
        var sku = await Scenario.ListProductAsync(sellerClient, stock: 3);
        var buyer = MarketplaceFactory.NewUser("buyer");
        var buyerClient = await factory.BuyerAsync(buyer);
        var orderId = await Scenario.PlacePaidOrderAsync(factory, buyer, (sku, seller, 1, 1_500));

        var buyerTypes = await WaitForAsync(buyerClient, orderId, "order.paid");
        Assert.Contains("order.placed", buyerTypes);
        var sellerTypes = await WaitForAsync(sellerClient, orderId, "order.paid");
        Assert.Contains("order.placed", sellerTypes);

        var stranger = await factory.BuyerAsync();
        var strangers = await (await stranger.GetAsync("/api/notifications")).JsonAsync();
        Assert.Equal(0, strangers.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_stream_sends_the_backlog_and_then_new_notifications_as_server_sent_events()
    {
        var seller = MarketplaceFactory.NewUser("seller");
        var sellerClient = await factory.SellerAsync(seller);
        var sku = await Scenario.ListProductAsync(sellerClient, stock: 3);
        var buyer = MarketplaceFactory.NewUser("buyer");
        var buyerClient = await factory.BuyerAsync(buyer);
        var orderId = await Scenario.PlacePaidOrderAsync(factory, buyer, (sku, seller, 1, 1_500));
        await WaitForAsync(buyerClient, orderId, "order.paid");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await buyerClient.GetAsync("/api/notifications/stream", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        // Ship while the stream is open: the shipment arrives live, after the backlog.
        var ship = Task.Run(async () => await (await sellerClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{seller}/ship", new { trackingNumber = "TRK1" })).JsonAsync());
        var types = new List<string>();
        while (!types.Contains("fulfilment.shipped"))
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("The stream ended.");
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var item = JsonDocument.Parse(line["data: ".Length..]).RootElement;
                Assert.Equal(orderId, item.GetProperty("orderId").GetString());
                types.Add(item.GetProperty("type").GetString()!);
            }
        }

        await ship;
        Assert.Equal("order.placed", types[0]);
        Assert.Contains("order.paid", types);
    }

    private static async Task<List<string>> WaitForAsync(HttpClient client, string orderId, string type)
    {
        // The outbox relay publishes in the background; give it a moment, never an unbounded wait.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var feed = await (await client.GetAsync("/api/notifications")).JsonAsync();
            var types = feed.GetProperty("items").EnumerateArray()
                .Where(n => n.GetProperty("orderId").GetString() == orderId)
                .Select(static n => n.GetProperty("type").GetString()!)
                .ToList();
            if (types.Contains(type))
            {
                return types;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No {type} notification for {orderId} within 10 s.");
    }
}
