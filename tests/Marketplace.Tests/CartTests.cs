namespace Marketplace.Tests;

public sealed class CartTests(MarketplaceFactory factory)
{
    [Fact]
    public async Task The_cart_shows_current_prices_and_live_availability()
    {
        var seller = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(seller, stock: 4, priceMinor: 700);
        var buyer = await factory.BuyerAsync();

        var cart = await (await buyer.PutJsonAsync($"/api/cart/items/{sku}", new { quantity = 3 })).JsonAsync();
        var line = cart.GetProperty("lines")[0];
        Assert.Equal(3, line.GetProperty("quantity").GetInt32());
        Assert.Equal(700, line.GetProperty("unitPriceMinor").GetInt64());
        Assert.Equal(2_100, line.GetProperty("lineTotalMinor").GetInt64());
        Assert.Equal(4, line.GetProperty("available").GetInt64());
        Assert.Equal(2_100, cart.GetProperty("totals")[0].GetProperty("amountMinor").GetInt64());

        await (await seller.PutJsonAsync($"/api/products/{sku}", new { title = "Pricier", priceMinor = 900, currency = "USD", category = "kitchen" })).JsonAsync();
        await (await seller.PutJsonAsync($"/api/products/{sku}/stock", new { onHand = 1 })).JsonAsync();
        var after = await (await buyer.GetAsync("/api/cart")).JsonAsync();
        Assert.Equal(900, after.GetProperty("lines")[0].GetProperty("unitPriceMinor").GetInt64());
        Assert.Equal(1, after.GetProperty("lines")[0].GetProperty("available").GetInt64());

        var removed = await (await buyer.DeleteAsync($"/api/cart/items/{sku}")).JsonAsync();
        Assert.Equal(0, removed.GetProperty("lines").GetArrayLength());
    }

    [Theory]
    [InlineData("{\"quantity\":-1}")]
    [InlineData("{\"quantity\":101}")]
    [InlineData("{\"quantity\":\"2\"}")]
    [InlineData("{\"quantity\":1e40}")]
    [InlineData("{}")]
    public async Task Bad_quantities_are_400_and_change_nothing(string body)
    {
        var buyer = await factory.BuyerAsync();
        var response = await buyer.SendRawAsync(HttpMethod.Put, "/api/cart/items/flash-console", body);
        await response.AssertProblemAsync(400, "marketplace.invalid_request");
        Assert.Equal(0, (await (await buyer.GetAsync("/api/cart")).JsonAsync()).GetProperty("lines").GetArrayLength());
    }

    [Fact]
    public async Task A_product_not_in_the_catalog_cannot_be_added()
    {
        var buyer = await factory.BuyerAsync();
        await (await buyer.PutJsonAsync("/api/cart/items/no-such-sku", new { quantity = 1 })).AssertProblemAsync(400, "marketplace.unknown_product");
    }
}
