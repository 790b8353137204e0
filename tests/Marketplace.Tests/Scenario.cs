using System.Net;
using Marketplace.Catalog;
using Marketplace.Reservations;
using Marketplace.Sellers;

namespace Marketplace.Tests;

/// <summary>Steps that several tests take: a seller lists a stocked product, a buyer reserves it.</summary>
public static class Scenario
{
    public static async Task<string> ListStockedProductAsync(HttpClient seller, long stock, string title = "Test product", decimal price = 5.00m)
    {
        var sku = MarketplaceFactory.NewSku();
        var created = await seller.PostAsync("/seller/products",
            new CreateProductRequest(sku, title, "Made for a test.", new PriceInput(price, "USD")));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        if (stock > 0)
        {
            var received = await seller.PostAsync($"/seller/products/{sku}/stock/adjustments", new AdjustStockRequest(stock, null), MarketplaceFactory.NewKey());
            Assert.True(received.StatusCode == HttpStatusCode.OK, await received.Content.ReadAsStringAsync());
        }

        return sku;
    }

    public static async Task<ReservationView> ReserveAsync(HttpClient buyer, string sku, long quantity, string? key = null)
    {
        var response = await buyer.PostAsync("/cart/reservations", Cart(sku, quantity), key ?? MarketplaceFactory.NewKey());
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.ReadAsync<ReservationView>();
    }

    public static ReserveRequest Cart(string sku, long quantity) => new([new ReserveLineRequest(sku, quantity)], null);

    public static async Task<long> AvailableAsync(HttpClient client, string sku) =>
        (await (await client.GetAsync($"/catalog/products/{sku}")).ReadAsync<ProductView>()).Available;

    public static async Task<StockView> StockAsync(HttpClient seller, string sku)
    {
        var response = await seller.GetAsync($"/seller/products/{sku}/stock");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadAsync<StockView>();
    }
}
