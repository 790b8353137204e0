using System.Net;
using System.Text;

namespace Marketplace.Tests;

/// <summary>Bad input is 400 (or 413, 415) with a code and stores nothing.</summary>
public sealed class ErrorTests(MarketplaceFactory factory)
{
    public static TheoryData<string, string> BadProducts => new()
    {
        { "malformed JSON", "{\"sku\":\"SKU\",\"title\":" },
        { "not an object", "[1,2,3]" },
        { "wrong type for priceMinor", "{\"sku\":\"SKU\",\"title\":\"T\",\"priceMinor\":\"1500\",\"currency\":\"USD\",\"category\":\"kitchen\",\"stock\":1}" },
        { "wrong type for title", "{\"sku\":\"SKU\",\"title\":42,\"priceMinor\":1500,\"currency\":\"USD\",\"category\":\"kitchen\",\"stock\":1}" },
        { "unknown field", "{\"sku\":\"SKU\",\"title\":\"T\",\"priceMinor\":1500,\"currency\":\"USD\",\"category\":\"kitchen\",\"stock\":1,\"discount\":5}" },
        { "price beyond a long", "{\"sku\":\"SKU\",\"title\":\"T\",\"priceMinor\":99999999999999999999999,\"currency\":\"USD\",\"category\":\"kitchen\",\"stock\":1}" },
        { "fractional price", "{\"sku\":\"SKU\",\"title\":\"T\",\"priceMinor\":12.5,\"currency\":\"USD\",\"category\":\"kitchen\",\"stock\":1}" },
        { "stock beyond an int", "{\"sku\":\"SKU\",\"title\":\"T\",\"priceMinor\":1500,\"currency\":\"USD\",\"category\":\"kitchen\",\"stock\":1e30}" },
        { "duplicate property", "{\"sku\":\"SKU\",\"sku\":\"SKU\",\"title\":\"T\",\"priceMinor\":1500,\"currency\":\"USD\",\"category\":\"kitchen\",\"stock\":1}" },
    };

    [Theory]
    [MemberData(nameof(BadProducts))]
    public async Task Unreadable_product_bodies_are_400_and_store_nothing(string why, string body)
    {
        _ = why;
        var seller = await factory.SellerAsync();
        var sku = MarketplaceFactory.NewSku();
        var response = await seller.SendRawAsync(HttpMethod.Post, "/api/products", body.Replace("SKU", sku, StringComparison.Ordinal));
        await response.AssertProblemAsync(400, "marketplace.invalid_request");
        await (await seller.GetAsync($"/api/products/{sku}")).AssertProblemAsync(404, "marketplace.product_not_found");
    }

    public static TheoryData<string, object, string> InvalidProducts => new()
    {
        { "absurd price", new { title = "T", priceMinor = 10_000_000_000L, currency = "USD", category = "kitchen", stock = 1 }, "priceMinor" },
        { "zero price", new { title = "T", priceMinor = 0, currency = "USD", category = "kitchen", stock = 1 }, "priceMinor" },
        { "negative stock", new { title = "T", priceMinor = 100, currency = "USD", category = "kitchen", stock = -1 }, "stock" },
        { "absurd stock", new { title = "T", priceMinor = 100, currency = "USD", category = "kitchen", stock = 1_000_000_000_000L }, "stock" },
        { "no title", new { title = "", priceMinor = 100, currency = "USD", category = "kitchen", stock = 1 }, "title" },
        { "no category", new { title = "T", priceMinor = 100, currency = "USD", stock = 1 }, "category" },
        { "bad category", new { title = "T", priceMinor = 100, currency = "USD", category = "Kitchen & Home!", stock = 1 }, "category" },
        { "long title", new { title = new string('t', 500), priceMinor = 100, currency = "USD", category = "kitchen", stock = 1 }, "title" },
    };

    [Theory]
    [MemberData(nameof(InvalidProducts))]
    public async Task Invalid_products_are_400_naming_the_field_and_store_nothing(string why, object fields, string target)
    {
        _ = why;
        var seller = await factory.SellerAsync();
        var sku = MarketplaceFactory.NewSku();
        var body = System.Text.Json.JsonSerializer.SerializeToNode(fields, MarketplaceFactory.Json)!.AsObject();
        body["sku"] = sku;
        var problem = await (await seller.PostJsonAsync("/api/products", body)).AssertProblemAsync(400, "marketplace.invalid_product");
        Assert.Equal(target, problem.GetProperty("target").GetString());
        await (await seller.GetAsync($"/api/products/{sku}")).AssertProblemAsync(404, "marketplace.product_not_found");
    }

    [Fact]
    public async Task An_unknown_currency_is_400_with_the_core_code()
    {
        var seller = await factory.SellerAsync();
        var response = await seller.PostJsonAsync("/api/products", new { sku = MarketplaceFactory.NewSku(), title = "T", priceMinor = 100, currency = "XXZ", category = "kitchen", stock = 1 });
        await response.AssertProblemAsync(400, "core.unknown_currency");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_stores_nothing()
    {
        var seller = await factory.SellerAsync();
        var sku = MarketplaceFactory.NewSku();
        var response = await seller.PostJsonAsync("/api/products", new { sku, title = "T", description = new string('d', 20_000), priceMinor = 100, currency = "USD", category = "kitchen", stock = 1 });
        await response.AssertProblemAsync(413, "marketplace.body_too_large");
        await (await seller.GetAsync($"/api/products/{sku}")).AssertProblemAsync(404, "marketplace.product_not_found");
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        var seller = await factory.SellerAsync();
        var response = await seller.PostAsync("/api/products", new StringContent("sku=a", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.AssertProblemAsync(415, "marketplace.unsupported_media_type");
    }

    [Fact]
    public async Task Unknown_routes_and_wrong_methods_answer_problems_with_codes()
    {
        var client = factory.CreateClient();
        await (await client.GetAsync("/api/nothing-here")).AssertProblemAsync(404, "marketplace.not_found");
        await (await client.DeleteAsync("/api/products/flash-console")).AssertProblemAsync(405, "marketplace.method_not_allowed");
    }

    [Theory]
    [InlineData("{\"userId\":\"Alice Smith\",\"role\":\"buyer\"}", "userId")]
    [InlineData("{\"userId\":\"alice\",\"role\":\"root\"}", "role")]
    [InlineData("{\"role\":\"buyer\"}", "userId")]
    public async Task The_dev_token_endpoint_refuses_bad_ids_and_roles(string body, string target)
    {
        var problem = await (await factory.CreateClient().SendRawAsync(HttpMethod.Post, "/api/dev/tokens", body)).AssertProblemAsync(400, "marketplace.invalid_request");
        Assert.Equal(target, problem.GetProperty("target").GetString());
    }

    [Fact]
    public async Task A_token_says_who_and_what_role()
    {
        var seller = await factory.SellerAsync("acme");
        var own = await (await seller.GetAsync("/api/seller/products?pageSize=100")).JsonAsync();
        Assert.All(own.GetProperty("items").EnumerateArray(), static p => Assert.Equal("acme", p.GetProperty("sellerId").GetString()));
        Assert.True(own.GetProperty("total").GetInt32() > 0);
        Assert.Equal(HttpStatusCode.OK, (await seller.GetAsync("/api/products/flash-console/stock")).StatusCode);
    }
}
