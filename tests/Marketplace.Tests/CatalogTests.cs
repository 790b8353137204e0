using System.Net;
using System.Text.Json;

namespace Marketplace.Tests;

public sealed class CatalogTests(MarketplaceFactory factory)
{
    [Fact]
    public async Task The_seeded_catalog_has_sellers_hundreds_of_products_configurable_and_the_flash_sale_sku()
    {
        var anonymous = factory.CreateClient();
        var flash = await (await anonymous.GetAsync("/api/products/flash-console")).JsonAsync();
        Assert.Equal("acme", flash.GetProperty("sellerId").GetString());
        Assert.True(flash.GetProperty("available").GetInt64() > 0);

        var all = await (await anonymous.GetAsync("/api/products?pageSize=1")).JsonAsync();
        Assert.True(all.GetProperty("total").GetInt32() >= 61);
        Assert.Single(all.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_seller_lists_a_product_with_stock_and_everyone_reads_it_with_live_availability()
    {
        var seller = await factory.SellerAsync();
        var sku = MarketplaceFactory.NewSku();
        var created = await (await seller.PostJsonAsync("/api/products",
            new { sku, title = "Blue enamel mug", description = "Holds 300 ml.", priceMinor = 1_250, currency = "usd", category = "kitchen", stock = 7, attributes = new { colour = "blue" } }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal(7, created.GetProperty("available").GetInt64());
        Assert.Equal("USD", created.GetProperty("currency").GetString());

        var read = await (await factory.CreateClient().GetAsync($"/api/products/{sku}")).JsonAsync();
        Assert.Equal("Blue enamel mug", read.GetProperty("title").GetString());
        Assert.Equal(1_250, read.GetProperty("priceMinor").GetInt64());
        Assert.Equal("blue", read.GetProperty("attributes").GetProperty("colour").GetString());
        Assert.Equal(7, read.GetProperty("available").GetInt64());

        var stock = await (await seller.PutJsonAsync($"/api/products/{sku}/stock", new { onHand = 3 })).JsonAsync();
        Assert.Equal(3, stock.GetProperty("onHand").GetInt64());
        Assert.Equal(3, await Scenario.AvailableAsync(factory.CreateClient(), sku));
    }

    [Fact]
    public async Task An_update_is_visible_at_once_the_read_cache_is_invalidated()
    {
        var seller = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(seller, priceMinor: 1_000);
        var anonymous = factory.CreateClient();
        Assert.Equal(1_000, (await (await anonymous.GetAsync($"/api/products/{sku}")).JsonAsync()).GetProperty("priceMinor").GetInt64());

        await (await seller.PutJsonAsync($"/api/products/{sku}",
            new { title = "Test mug v2", description = "New.", priceMinor = 1_100, currency = "USD", category = "kitchen" })).JsonAsync();
        var read = await (await anonymous.GetAsync($"/api/products/{sku}")).JsonAsync();
        Assert.Equal(1_100, read.GetProperty("priceMinor").GetInt64());
        Assert.Equal("Test mug v2", read.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Search_matches_full_text_and_filters_by_category_price_and_stock_with_paging()
    {
        var seller = await factory.SellerAsync();
        var word = "zq" + Guid.NewGuid().ToString("N")[..8];
        var cheap = await Scenario.ListProductAsync(seller, stock: 5, priceMinor: 500, category: "garden", title: $"{word} trowel");
        var dear = await Scenario.ListProductAsync(seller, stock: 0, priceMinor: 5_000, category: "garden", title: "Steel rake", description: $"Pairs with the {word} set.");
        var other = await Scenario.ListProductAsync(seller, stock: 5, priceMinor: 700, category: "kitchen", title: $"{word}s kettle");
        var anonymous = factory.CreateClient();

        async Task<string[]> SkusAsync(string query)
        {
            var page = await (await anonymous.GetAsync($"/api/products?{query}")).JsonAsync();
            return page.GetProperty("items").EnumerateArray().Select(static p => p.GetProperty("sku").GetString()!).ToArray();
        }

        var all = await SkusAsync($"q={word}");
        Assert.Equal(3, all.Length);
        Assert.NotEqual(dear, all[0]); // a title hit ranks above a description hit
        Assert.Equal(new[] { cheap, dear }.Order(), (await SkusAsync($"q={word}&category=garden")).Order());
        Assert.Equal([cheap], await SkusAsync($"q={word}&maxPriceMinor=600"));
        Assert.Equal([dear], await SkusAsync($"q={word}&minPriceMinor=1000"));
        Assert.DoesNotContain(dear, await SkusAsync($"q={word}&inStock=true"));
        Assert.Equal([dear], await SkusAsync($"q={word}&inStock=false"));
        Assert.Contains(other, await SkusAsync($"q={word}&category=kitchen"));

        var page1 = await (await anonymous.GetAsync($"/api/products?q={word}&page=1&pageSize=2")).JsonAsync();
        var page2 = await (await anonymous.GetAsync($"/api/products?q={word}&page=2&pageSize=2")).JsonAsync();
        Assert.Equal(3, page1.GetProperty("total").GetInt32());
        Assert.Equal(3, page2.GetProperty("total").GetInt32());
        Assert.Equal(2, page1.GetProperty("items").GetArrayLength());
        Assert.Single(page2.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("pageSize=1000")]
    [InlineData("page=abc")]
    [InlineData("minPriceMinor=-1")]
    [InlineData("minPriceMinor=99999999999999999999999")]
    [InlineData("minPriceMinor=500&maxPriceMinor=100")]
    [InlineData("inStock=maybe")]
    public async Task Bad_search_parameters_are_400(string query)
    {
        var response = await factory.CreateClient().GetAsync($"/api/products?{query}");
        await response.AssertProblemAsync(400, "marketplace.invalid_request");
    }

    [Fact]
    public async Task A_sku_is_unique_across_sellers_but_the_same_seller_may_retry_the_same_listing()
    {
        var seller = await factory.SellerAsync();
        var sku = MarketplaceFactory.NewSku();
        await (await seller.PostJsonAsync("/api/products", Scenario.NewProduct(sku))).JsonAsync(HttpStatusCode.Created);
        var retry = await seller.PostJsonAsync("/api/products", Scenario.NewProduct(sku));
        await retry.JsonAsync(HttpStatusCode.Created);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());

        var changed = await seller.PostJsonAsync("/api/products", Scenario.NewProduct(sku, priceMinor: 999));
        await changed.AssertProblemAsync(409, "marketplace.sku_taken");
        var other = await factory.SellerAsync();
        await (await other.PostJsonAsync("/api/products", Scenario.NewProduct(sku))).AssertProblemAsync(409, "marketplace.sku_taken");
        Assert.Equal(10, await Scenario.AvailableAsync(seller, sku));
    }

    [Fact]
    public async Task The_seller_lists_their_own_products_only()
    {
        var seller = await factory.SellerAsync();
        var mine = await Scenario.ListProductAsync(seller);
        await Scenario.ListProductAsync(await factory.SellerAsync());
        var page = await (await seller.GetAsync("/api/seller/products")).JsonAsync();
        Assert.Equal([mine], page.GetProperty("items").EnumerateArray().Select(static p => p.GetProperty("sku").GetString()!).ToArray());
    }

    [Fact]
    public async Task Unknown_product_is_404_with_a_code()
    {
        await (await factory.CreateClient().GetAsync("/api/products/no-such-sku")).AssertProblemAsync(404, "marketplace.product_not_found");
    }

    internal static string[] Skus(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(static p => p.GetProperty("sku").GetString()!).ToArray();
}
