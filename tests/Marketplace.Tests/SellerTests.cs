using System.Net;
using Marketplace.Catalog;
using Marketplace.Idempotency;
using Marketplace.Sellers;

namespace Marketplace.Tests;

public sealed class SellerTests(MarketplaceFactory app)
{
    private readonly HttpClient _seller = app.ClientFor($"seller:{MarketplaceFactory.NewName("shop")}");
    private readonly HttpClient _otherSeller = app.ClientFor($"seller:{MarketplaceFactory.NewName("rival")}");
    private readonly HttpClient _anonymous = app.ClientFor(null);

    [Fact]
    public async Task A_seller_lists_a_product_and_receives_stock_that_buyers_then_see()
    {
        var sku = MarketplaceFactory.NewSku();

        var created = await _seller.PostAsync("/seller/products",
            new CreateProductRequest(sku, "  Walnut cutting board ", "Oiled, 40 x 25 cm.", new PriceInput(39.90m, "usd")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/seller/products/{sku}", created.Headers.Location?.OriginalString);
        var product = await created.ReadAsync<SellerProductView>();
        Assert.Equal("Walnut cutting board", product.Title);
        Assert.Equal(new MoneyView(39.90m, "USD"), product.Price);
        Assert.Equal(0, product.Stock.OnHand);

        var received = await _seller.PostAsync($"/seller/products/{sku}/stock/adjustments", new AdjustStockRequest(12, "delivery 42"), MarketplaceFactory.NewKey());
        Assert.Equal(HttpStatusCode.OK, received.StatusCode);
        var stock = await received.ReadAsync<StockView>();
        Assert.Equal((12, 0, 12), (stock.OnHand, stock.Reserved, stock.Available));

        Assert.Equal(12, (await Scenario.StockAsync(_seller, sku)).OnHand);
        Assert.Equal(12, await Scenario.AvailableAsync(_anonymous, sku));
        var mine = await (await _seller.GetAsync("/seller/products")).ReadAsync<List<SellerProductView>>();
        Assert.Equal(12, Assert.Single(mine, p => p.Sku == sku).Stock.OnHand);
        var search = await (await _anonymous.GetAsync("/catalog/products?q=walnut%20board")).ReadAsync<Page<ProductView>>();
        Assert.Contains(search.Items, p => p.Sku == sku);
    }

    [Fact]
    public async Task A_seller_updates_their_product()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 0);

        var updated = await _seller.PutAsync($"/seller/products/{sku}", new UpdateProductRequest("Renamed", "New text.", new PriceInput(7, "EUR")));

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var product = await (await _anonymous.GetAsync($"/catalog/products/{sku}")).ReadAsync<ProductView>();
        Assert.Equal(("Renamed", "New text.", new MoneyView(7.00m, "EUR")), (product.Title, product.Description, product.Price));
    }

    [Fact]
    public async Task Replaying_a_stock_receipt_with_the_same_key_changes_stock_once()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 0);
        var key = MarketplaceFactory.NewKey();

        var first = await _seller.PostAsync($"/seller/products/{sku}/stock/adjustments", new AdjustStockRequest(5, null), key);
        var replay = await _seller.PostAsync($"/seller/products/{sku}/stock/adjustments", new AdjustStockRequest(5, null), key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.True(replay.Headers.Contains(IdempotencyHeader.ReplayedName));
        Assert.Equal(5, (await Scenario.StockAsync(_seller, sku)).OnHand);

        var reused = await _seller.PostAsync($"/seller/products/{sku}/stock/adjustments", new AdjustStockRequest(6, null), key);
        await reused.AssertProblemAsync(409, "inventory.idempotency_key_reused");
    }

    [Fact]
    public async Task Two_sellers_may_use_the_same_idempotency_key()
    {
        var mine = await Scenario.ListStockedProductAsync(_seller, stock: 0);
        var theirs = await Scenario.ListStockedProductAsync(_otherSeller, stock: 0);
        var key = MarketplaceFactory.NewKey();

        Assert.Equal(HttpStatusCode.OK, (await _seller.PostAsync($"/seller/products/{mine}/stock/adjustments", new AdjustStockRequest(1, null), key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _otherSeller.PostAsync($"/seller/products/{theirs}/stock/adjustments", new AdjustStockRequest(2, null), key)).StatusCode);

        Assert.Equal(2, (await Scenario.StockAsync(_otherSeller, theirs)).OnHand);
    }

    [Fact]
    public async Task Writing_off_more_than_is_on_hand_is_a_409()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 2);

        var response = await _seller.PostAsync($"/seller/products/{sku}/stock/adjustments", new AdjustStockRequest(-3, "damaged"), MarketplaceFactory.NewKey());

        await response.AssertProblemAsync(409, "inventory.invalid_adjustment");
        Assert.Equal(2, (await Scenario.StockAsync(_seller, sku)).OnHand);
    }

    [Fact]
    public async Task A_seller_cannot_touch_another_sellers_product_or_stock()
    {
        var theirs = await Scenario.ListStockedProductAsync(_otherSeller, stock: 4, title: "Rival's product");

        var update = await _seller.PutAsync($"/seller/products/{theirs}", new UpdateProductRequest("Hijacked", null, new PriceInput(1, "USD")));
        await update.AssertProblemAsync(403, "marketplace.not_product_owner");

        var adjust = await _seller.PostAsync($"/seller/products/{theirs}/stock/adjustments", new AdjustStockRequest(-4, "stolen"), MarketplaceFactory.NewKey());
        await adjust.AssertProblemAsync(403, "marketplace.not_product_owner");

        await (await _seller.GetAsync($"/seller/products/{theirs}/stock")).AssertProblemAsync(403, "marketplace.not_product_owner");
        await (await _seller.GetAsync($"/seller/products/{theirs}")).AssertProblemAsync(403, "marketplace.not_product_owner");

        var mine = await (await _seller.GetAsync("/seller/products")).ReadAsync<List<SellerProductView>>();
        Assert.DoesNotContain(mine, p => p.Sku == theirs);
        var product = await (await _anonymous.GetAsync($"/catalog/products/{theirs}")).ReadAsync<ProductView>();
        Assert.Equal(("Rival's product", 4L), (product.Title, product.Available));
    }

    [Fact]
    public async Task A_seller_cannot_stock_a_product_that_is_not_listed()
    {
        var response = await _seller.PostAsync($"/seller/products/{MarketplaceFactory.NewSku()}/stock/adjustments", new AdjustStockRequest(1, null), MarketplaceFactory.NewKey());

        await response.AssertProblemAsync(404, "marketplace.product_not_found");
    }

    [Fact]
    public async Task A_sku_can_be_listed_once_across_all_sellers()
    {
        var response = await _seller.PostAsync("/seller/products", new CreateProductRequest("acme-mug", "My mug", null, new PriceInput(1, "USD")));

        await response.AssertProblemAsync(409, "marketplace.sku_taken");
        Assert.Equal("acme", (await (await _anonymous.GetAsync("/catalog/products/acme-mug")).ReadAsync<ProductView>()).Seller);
    }
}
