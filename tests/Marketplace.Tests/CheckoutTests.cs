using System.Net;

namespace Marketplace.Tests;

public sealed class CheckoutTests(MarketplaceFactory factory)
{
    private static object Body(string sku, long quantity, long unitPriceMinor, string token = "tok_visa") =>
        new { lines = new[] { new { sku, quantity, unitPriceMinor } }, currency = "USD", paymentToken = token };

    [Fact]
    public async Task A_buyer_checks_out_at_the_price_they_saw_and_a_retry_with_the_same_key_charges_nothing_more()
    {
        var seller = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(seller, stock: 5, priceMinor: 1_999);
        var buyer = await factory.BuyerAsync();
        await (await buyer.PutJsonAsync($"/api/cart/items/{sku}", new { quantity = 2 })).JsonAsync();

        var key = MarketplaceFactory.NewKey();
        var placed = await (await buyer.PostJsonAsync("/api/checkout", Body(sku, 2, 1_999), key)).JsonAsync(HttpStatusCode.Created);
        var orderId = placed.GetProperty("orderId").GetString()!;
        Assert.Equal("paid", placed.GetProperty("status").GetString());
        Assert.Equal(3, await Scenario.AvailableAsync(buyer, sku));

        var order = await (await buyer.GetAsync($"/api/orders/{orderId}")).JsonAsync();
        Assert.Equal("paid", Scenario.Status(order));
        Assert.Equal(3_998, order.GetProperty("totalMinor").GetInt64());
        Assert.Equal("captured", order.GetProperty("payment").GetProperty("status").GetString());
        Assert.Equal(3_998, order.GetProperty("payment").GetProperty("capturedMinor").GetInt64());
        Assert.Equal(0, (await (await buyer.GetAsync("/api/cart")).JsonAsync()).GetProperty("lines").GetArrayLength());

        var replay = await buyer.PostJsonAsync("/api/checkout", Body(sku, 2, 1_999), key);
        Assert.Equal(orderId, (await replay.JsonAsync(HttpStatusCode.Created)).GetProperty("orderId").GetString());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(3, await Scenario.AvailableAsync(buyer, sku));

        await (await buyer.PostJsonAsync("/api/checkout", Body(sku, 1, 1_999), key)).AssertProblemAsync(409, "checkout.idempotency_key_reused");

        // Keys are scoped to the buyer: another buyer's identical key is another checkout.
        var other = await factory.BuyerAsync();
        var theirs = await (await other.PostJsonAsync("/api/checkout", Body(sku, 1, 1_999), key)).JsonAsync(HttpStatusCode.Created);
        Assert.NotEqual(orderId, theirs.GetProperty("orderId").GetString());
        Assert.Equal(2, await Scenario.AvailableAsync(buyer, sku));
    }

    [Fact]
    public async Task A_changed_price_is_409_with_the_current_price_and_nothing_is_bought()
    {
        var seller = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(seller, stock: 5, priceMinor: 1_000);
        await (await seller.PutJsonAsync($"/api/products/{sku}", new { title = "Dearer", priceMinor = 1_200, currency = "USD", category = "kitchen" })).JsonAsync();
        var buyer = await factory.BuyerAsync();
        var problem = await (await buyer.PostJsonAsync("/api/checkout", Body(sku, 1, 1_000), MarketplaceFactory.NewKey())).AssertProblemAsync(409, "checkout.price_changed");
        Assert.Equal(1_200, problem.GetProperty("currentPrices")[0].GetProperty("currentUnitPriceMinor").GetInt64());
        Assert.Equal(5, await Scenario.AvailableAsync(buyer, sku));
    }

    [Fact]
    public async Task Sold_out_is_409_and_a_declined_card_is_402_both_leaving_stock_and_orders_as_they_were()
    {
        var seller = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(seller, stock: 2, priceMinor: 500);
        var buyer = await factory.BuyerAsync();
        await (await buyer.PostJsonAsync("/api/checkout", Body(sku, 3, 500), MarketplaceFactory.NewKey())).AssertProblemAsync(409, "checkout.sold_out");
        var declined = await (await buyer.PostJsonAsync("/api/checkout", Body(sku, 1, 500, "tok_decline"), MarketplaceFactory.NewKey())).AssertProblemAsync(402, "checkout.declined");
        Assert.Equal(2, await Scenario.AvailableAsync(buyer, sku));
        if (declined.TryGetProperty("orderId", out var orderId))
        {
            Assert.Equal("cancelled", Scenario.Status(await (await buyer.GetAsync($"/api/orders/{orderId.GetString()}")).JsonAsync()));
        }
    }

    [Theory]
    [InlineData("{\"lines\":[],\"currency\":\"USD\",\"paymentToken\":\"tok_visa\"}")]
    [InlineData("{\"lines\":[{\"sku\":\"flash-console\",\"quantity\":0,\"unitPriceMinor\":29900}],\"currency\":\"USD\",\"paymentToken\":\"tok_visa\"}")]
    [InlineData("{\"lines\":[{\"sku\":\"flash-console\",\"quantity\":1,\"unitPriceMinor\":-5}],\"currency\":\"USD\",\"paymentToken\":\"tok_visa\"}")]
    [InlineData("{\"lines\":[{\"sku\":\"flash-console\",\"quantity\":1e12,\"unitPriceMinor\":29900}],\"currency\":\"USD\",\"paymentToken\":\"tok_visa\"}")]
    [InlineData("{\"lines\":[{\"sku\":\"flash-console\",\"quantity\":\"1\",\"unitPriceMinor\":29900}],\"currency\":\"USD\",\"paymentToken\":\"tok_visa\"}")]
    [InlineData("{\"lines\":[{\"sku\":\"flash-console\",\"quantity\":1,\"unitPriceMinor\":29900}],\"currency\":\"USD\"}")]
    [InlineData("{\"lines\":[{\"sku\":\"flash-console\",\"quantity\":1,\"unitPriceMinor\":29900,\"coupon\":\"FREE\"}],\"currency\":\"USD\",\"paymentToken\":\"tok_visa\"}")]
    public async Task Invalid_checkouts_are_400_and_buy_nothing(string body)
    {
        var buyer = await factory.BuyerAsync();
        var before = await Scenario.AvailableAsync(buyer, "flash-console");
        await (await buyer.SendRawAsync(HttpMethod.Post, "/api/checkout", body, MarketplaceFactory.NewKey())).AssertProblemAsync(400, "marketplace.invalid_request");
        Assert.Equal(0, (await (await buyer.GetAsync("/api/orders")).JsonAsync()).GetProperty("items").GetArrayLength());
        Assert.True(await Scenario.AvailableAsync(buyer, "flash-console") <= before);
    }

    [Fact]
    public async Task A_checkout_without_an_idempotency_key_is_400()
    {
        var buyer = await factory.BuyerAsync();
        await (await buyer.PostJsonAsync("/api/checkout", Body("flash-console", 1, 29_900))).AssertProblemAsync(400, "marketplace.idempotency_key_required");
    }

    [Fact]
    public async Task A_buyer_hammering_checkout_is_shed_with_429_and_retry_after()
    {
        var seller = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(seller, stock: 0, priceMinor: 500);
        var buyer = await factory.BuyerAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => buyer.PostJsonAsync("/api/checkout", Body(sku, 1, 500), MarketplaceFactory.NewKey())));
        var shed = responses.Where(static r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(shed);
        await shed[0].AssertProblemAsync(429, "checkout.busy");
        Assert.True(int.Parse(shed[0].Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.All(responses, static r => Assert.True(r.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task A_flash_sale_over_http_sells_exactly_the_stock_and_never_more()
    {
        const int Units = 15;
        const int Buyers = 120;
        var seller = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(seller, stock: Units, priceMinor: 9_900);
        var clients = await Task.WhenAll(Enumerable.Range(0, Buyers).Select(_ => factory.BuyerAsync()));
        var responses = await Task.WhenAll(clients.Select(c => c.PostJsonAsync("/api/checkout", Body(sku, 1, 9_900), MarketplaceFactory.NewKey())));

        var placed = responses.Count(static r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(Units, placed);
        Assert.All(responses.Where(static r => r.StatusCode != HttpStatusCode.Created), static r => Assert.Contains((int)r.StatusCode, new[] { 409, 429 }));
        Assert.Equal(0, await Scenario.AvailableAsync(clients[0], sku));
        var stock = await (await seller.GetAsync($"/api/products/{sku}/stock")).JsonAsync();
        Assert.Equal(0, stock.GetProperty("onHand").GetInt64());
        Assert.Equal(0, stock.GetProperty("reserved").GetInt64());
    }

    [Fact]
    public async Task Cancelling_a_checked_out_order_refunds_it_and_returns_the_stock()
    {
        var seller = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(seller, stock: 4, priceMinor: 700);
        var buyer = await factory.BuyerAsync();
        var placed = await (await buyer.PostJsonAsync("/api/checkout", Body(sku, 3, 700), MarketplaceFactory.NewKey())).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(1, await Scenario.AvailableAsync(buyer, sku));

        var cancelled = await (await buyer.PostJsonAsync($"/api/orders/{placed.GetProperty("orderId").GetString()}/cancel", new { })).JsonAsync();
        Assert.Equal("cancelled", Scenario.Status(cancelled));
        Assert.Equal("refunded", cancelled.GetProperty("payment").GetProperty("status").GetString());
        Assert.Equal(4, await Scenario.AvailableAsync(buyer, sku));
    }

}
