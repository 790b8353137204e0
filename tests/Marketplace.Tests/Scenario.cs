using System.Net;
using System.Text.Json;
using Commerce;
using Commerce.Ordering;
using Commerce.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Tests;

/// <summary>Steps several tests take.</summary>
public static class Scenario
{
    public static object NewProduct(string sku, long priceMinor = 1_500, long stock = 10, string category = "kitchen", string title = "Test mug", string description = "Made for a test.") =>
        new { sku, title, description, priceMinor, currency = "USD", category, stock };

    public static async Task<string> ListProductAsync(HttpClient seller, long stock = 10, long priceMinor = 1_500, string category = "kitchen", string title = "Test mug", string description = "Made for a test.")
    {
        var sku = MarketplaceFactory.NewSku();
        var created = await seller.PostJsonAsync("/api/products", NewProduct(sku, priceMinor, stock, category, title, description));
        await created.JsonAsync(HttpStatusCode.Created);
        return sku;
    }

    public static async Task<long> AvailableAsync(HttpClient client, string sku) =>
        (await (await client.GetAsync($"/api/products/{sku}")).JsonAsync()).GetProperty("available").GetInt64();

    /// <summary>
    /// Places and pays an order straight through the engine's services, the way checkout does, so that the order
    /// endpoints can be tested on their own: stock committed through a reservation, the payment authorized and
    /// captured on the simulated PSP, the order marked paid.
    /// </summary>
    public static async Task<string> PlacePaidOrderAsync(MarketplaceFactory factory, string buyer, params (string Sku, string Seller, long Quantity, long UnitPriceMinor)[] lines)
    {
        var services = factory.Services;
        var orders = services.GetRequiredService<OrderService>();
        var payments = services.GetRequiredService<PaymentService>();
        var inventory = services.GetRequiredService<Commerce.Inventory.InventoryService>();
        var id = "ord-" + Guid.NewGuid().ToString("N");
        var reserved = await inventory.ReserveAsync(new Commerce.Inventory.ReservationRequest(new ReservationId(id),
            lines.Select(l => new Commerce.Inventory.ReservationLine(new Sku(l.Sku), l.Quantity)).ToList()));
        Assert.True(reserved.IsSuccess, reserved.Error?.ToString());
        Assert.True((await inventory.CommitAsync(new ReservationId(id))).IsSuccess);

        var orderId = new OrderId(id);
        var placed = await orders.ExecuteAsync(new PlaceOrder(orderId, new CommandId("place"), "test", new BuyerId(buyer),
            lines.Select(l => new OrderLine(new Sku(l.Sku), new SellerId(l.Seller), l.Quantity, Money.FromMinorUnits(l.UnitPriceMinor, "USD"))).ToList()));
        Assert.True(placed.IsSuccess, placed.Error?.ToString());
        var total = placed.Order!.Total;
        var paymentId = new PaymentId(id);
        var auth = await payments.AuthorizeAsync(new AuthorizePaymentRequest(paymentId, new IdempotencyKey(id + "-auth"), total, "tok_visa") { OrderId = orderId }, default);
        Assert.True(auth.Succeeded, auth.FailureMessage);
        var capture = await payments.CaptureAsync(new CapturePaymentRequest(paymentId, new IdempotencyKey(id + "-capture"), total, IsFinal: true), default);
        Assert.True(capture.Succeeded, capture.FailureMessage);
        var paid = await orders.ExecuteAsync(new MarkPaid(orderId, new CommandId("paid"), "test") { PaymentId = paymentId });
        Assert.True(paid.IsSuccess, paid.Error?.ToString());
        return id;
    }

    public static string Status(JsonElement order) => order.GetProperty("status").GetString()!;
}
