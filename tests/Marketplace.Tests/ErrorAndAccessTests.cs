using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Marketplace.Catalog;
using Marketplace.Reservations;
using Marketplace.Sellers;

namespace Marketplace.Tests;

public sealed class ErrorAndAccessTests(MarketplaceFactory app)
{
    private readonly HttpClient _seller = app.ClientFor($"seller:{MarketplaceFactory.NewName("shop")}");
    private readonly HttpClient _buyer = app.ClientFor($"buyer:{MarketplaceFactory.NewName("bob")}");

    [Theory]
    [InlineData("GET", "/cart/reservations")]
    [InlineData("POST", "/cart/reservations")]
    [InlineData("GET", "/seller/products")]
    [InlineData("POST", "/seller/products/acme-mug/stock/adjustments")]
    public async Task Signed_out_callers_get_401_with_a_problem(string method, string url)
    {
        var response = await app.ClientFor(null).SendAsync(new HttpRequestMessage(new HttpMethod(method), url));

        await response.AssertProblemAsync(401, "marketplace.unauthenticated");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "DemoUser");
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("admin:root")]
    [InlineData("buyer:")]
    [InlineData("buyer:Alice Smith")]
    public async Task A_malformed_demo_identity_is_401(string header)
    {
        var response = await app.ClientFor(header).GetAsync("/cart/reservations");

        var problem = await response.AssertProblemAsync(401, "marketplace.unauthenticated");
        Assert.Contains("malformed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_role_is_kept_to_its_own_endpoints()
    {
        await (await _buyer.GetAsync("/seller/products")).AssertProblemAsync(403, "marketplace.forbidden");
        await (await _seller.GetAsync("/cart/reservations")).AssertProblemAsync(403, "marketplace.forbidden");
    }

    [Fact]
    public async Task Invalid_product_fields_give_400_with_the_stable_code_and_field()
    {
        var noTitle = await _seller.PostAsync("/seller/products", new CreateProductRequest(MarketplaceFactory.NewSku(), " ", null, new PriceInput(1, "USD")));
        Assert.Equal("title", (await noTitle.AssertProblemAsync(400, "marketplace.invalid_product")).GetProperty("target").GetString());

        var free = await _seller.PostAsync("/seller/products", new CreateProductRequest(MarketplaceFactory.NewSku(), "Free", null, new PriceInput(0, "USD")));
        await free.AssertProblemAsync(400, "marketplace.invalid_product");

        var subCent = await _seller.PostAsync("/seller/products", new CreateProductRequest(MarketplaceFactory.NewSku(), "Odd", null, new PriceInput(1.234m, "USD")));
        await subCent.AssertProblemAsync(400, "core.invalid_amount");

        var currency = await _seller.PostAsync("/seller/products", new CreateProductRequest(MarketplaceFactory.NewSku(), "Odd", null, new PriceInput(1, "XXY")));
        await currency.AssertProblemAsync(400, "core.unknown_currency");

        var badSku = await _seller.PostAsync("/seller/products", new CreateProductRequest("has spaces", "Odd", null, new PriceInput(1, "USD")));
        await badSku.AssertProblemAsync(400, "core.invalid_identifier");
    }

    [Fact]
    public async Task Unreadable_json_is_400_invalid_request()
    {
        using var content = new StringContent("{\"lines\": [", Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cart/reservations") { Content = content };
        request.Headers.Add("Idempotency-Key", MarketplaceFactory.NewKey());

        var response = await _buyer.SendAsync(request);

        await response.AssertProblemAsync(400, "marketplace.invalid_request");
    }

    [Fact]
    public async Task State_changing_requests_need_an_idempotency_key()
    {
        var reserve = await _buyer.PostAsync("/cart/reservations", Scenario.Cart("acme-mug", 1));
        await reserve.AssertProblemAsync(400, "marketplace.idempotency_key_required");

        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 0);
        var adjust = await _seller.PostAsync($"/seller/products/{sku}/stock/adjustments", new AdjustStockRequest(1, null));
        await adjust.AssertProblemAsync(400, "marketplace.idempotency_key_required");
    }

    [Fact]
    public async Task Bad_cart_lines_give_400_with_the_engines_stable_codes()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 5);

        async Task<HttpResponseMessage> Reserve(ReserveRequest cart) => await _buyer.PostAsync("/cart/reservations", cart, MarketplaceFactory.NewKey());

        await (await Reserve(Scenario.Cart(sku, 0))).AssertProblemAsync(400, "inventory.invalid_quantity");
        await (await Reserve(new ReserveRequest([], null))).AssertProblemAsync(400, "inventory.empty_reservation");
        await (await Reserve(new ReserveRequest([new(sku, 1), new(sku, 2)], null))).AssertProblemAsync(400, "inventory.duplicate_line");
        await (await Reserve(new ReserveRequest([new(sku, 1)], -5))).AssertProblemAsync(400, "inventory.invalid_ttl");
        await (await Reserve(Scenario.Cart(MarketplaceFactory.NewSku(), 1))).AssertProblemAsync(400, "marketplace.unknown_product");
        Assert.Equal(0, (await Scenario.StockAsync(_seller, sku)).Reserved);
    }

    [Fact]
    public async Task The_catalog_needs_no_sign_in()
    {
        var response = await app.ClientFor(null).GetAsync("/catalog/products");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty((await response.ReadAsync<Page<ProductView>>()).Items);
    }
}
