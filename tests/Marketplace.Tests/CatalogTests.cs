using System.Net;
using Marketplace.Catalog;

namespace Marketplace.Tests;

public sealed class CatalogTests(MarketplaceFactory app)
{
    private readonly HttpClient _anonymous = app.ClientFor(null);

    [Fact]
    public async Task Anyone_can_browse_the_seeded_catalog_with_prices_and_available_stock()
    {
        var response = await _anonymous.GetAsync("/catalog/products?limit=100");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.ReadAsync<Page<ProductView>>();
        var anvil = Assert.Single(page.Items, p => p.Sku == "acme-anvil");
        Assert.Equal("Acme anvil", anvil.Title);
        Assert.Equal("acme", anvil.Seller);
        Assert.Equal(new MoneyView(249.00m, "USD"), anvil.Price);
        Assert.Equal(3, anvil.Available);
        Assert.Equal(0, Assert.Single(page.Items, p => p.Sku == "globex-poster").Available);
    }

    [Fact]
    public async Task Prices_keep_their_currency_decimals()
    {
        var json = await _anonymous.GetStringAsync("/catalog/products/acme-mug");

        Assert.Contains("\"price\":{\"amount\":12.50,\"currency\":\"USD\"}", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_matches_every_term_in_title_description_or_sku_ignoring_case()
    {
        var page = await (await _anonymous.GetAsync("/catalog/products?q=COFFEE%20mug")).ReadAsync<Page<ProductView>>();
        Assert.Equal(["acme-mug"], page.Items.Select(p => p.Sku));

        var byDescription = await (await _anonymous.GetAsync("/catalog/products?q=dimmer")).ReadAsync<Page<ProductView>>();
        Assert.Equal(["globex-lamp"], byDescription.Items.Select(p => p.Sku));

        var none = await (await _anonymous.GetAsync("/catalog/products?q=coffee%20lamp")).ReadAsync<Page<ProductView>>();
        Assert.Empty(none.Items);
        Assert.Equal(0, none.Total);
    }

    [Fact]
    public async Task Browsing_can_filter_by_seller_and_page()
    {
        var first = await (await _anonymous.GetAsync("/catalog/products?seller=globex&limit=1")).ReadAsync<Page<ProductView>>();
        var second = await (await _anonymous.GetAsync("/catalog/products?seller=globex&limit=1&offset=1")).ReadAsync<Page<ProductView>>();

        Assert.Equal(2, first.Total);
        Assert.Equal(["globex-lamp"], first.Items.Select(p => p.Sku));
        Assert.Equal(["globex-poster"], second.Items.Select(p => p.Sku));
    }

    [Fact]
    public async Task An_unknown_product_is_404_with_a_stable_code()
    {
        var response = await _anonymous.GetAsync("/catalog/products/no-such-sku");

        await response.AssertProblemAsync(404, "marketplace.product_not_found");
    }

    [Fact]
    public async Task A_page_limit_out_of_range_is_400()
    {
        await (await _anonymous.GetAsync("/catalog/products?limit=1000")).AssertProblemAsync(400, "marketplace.invalid_request");
        await (await _anonymous.GetAsync("/catalog/products?limit=abc")).AssertProblemAsync(400, "marketplace.invalid_request");
    }
}
