using System.Net;
using Commerce;
using Commerce.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Tests;

public sealed class OrderTests(MarketplaceFactory factory)
{
    [Fact]
    public async Task A_paid_order_is_shipped_per_seller_delivered_and_refunded_by_an_admin()
    {
        var seller = MarketplaceFactory.NewUser("seller");
        var sellerClient = await factory.SellerAsync(seller);
        var sku = await Scenario.ListProductAsync(sellerClient, stock: 5, priceMinor: 2_500);
        var buyer = MarketplaceFactory.NewUser("buyer");
        var orderId = await Scenario.PlacePaidOrderAsync(factory, buyer, (sku, seller, 2, 2_500));
        var buyerClient = await factory.BuyerAsync(buyer);

        var order = await (await buyerClient.GetAsync($"/api/orders/{orderId}")).JsonAsync();
        Assert.Equal("paid", Scenario.Status(order));
        Assert.Equal(5_000, order.GetProperty("totalMinor").GetInt64());
        Assert.Equal("USD", order.GetProperty("currency").GetString());
        Assert.Equal("captured", order.GetProperty("payment").GetProperty("status").GetString());
        Assert.Equal(5_000, order.GetProperty("payment").GetProperty("capturedMinor").GetInt64());

        var toShip = await (await sellerClient.GetAsync("/api/seller/orders?state=paid")).JsonAsync();
        Assert.Contains(orderId, toShip.GetProperty("items").EnumerateArray().Select(static o => o.GetProperty("orderId").GetString()));

        await (await sellerClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{seller}/ship", new { trackingNumber = "" })).AssertProblemAsync(400, "marketplace.invalid_request");
        var shipped = await (await sellerClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{seller}/ship", new { trackingNumber = "1Z999" })).JsonAsync();
        Assert.Equal("shipped", Scenario.Status(shipped));
        Assert.Equal("1Z999", shipped.GetProperty("fulfilments")[0].GetProperty("trackingNumber").GetString());

        // A retry replays; another tracking number for the same shipment is a conflict, not a second shipment.
        Assert.Equal("shipped", Scenario.Status(await (await sellerClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{seller}/ship", new { trackingNumber = "1Z999" })).JsonAsync()));
        await (await sellerClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{seller}/ship", new { trackingNumber = "OTHER" })).AssertProblemAsync(409, "ordering.command_id_reused");

        // Shipped orders cannot be cancelled.
        await (await buyerClient.PostJsonAsync($"/api/orders/{orderId}/cancel", new { })).AssertProblemAsync(409, "ordering.invalid_transition");

        var delivered = await (await sellerClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{seller}/deliver", new { })).JsonAsync();
        Assert.Equal("delivered", Scenario.Status(delivered));

        var admin = await factory.AdminAsync();
        await (await admin.PostJsonAsync($"/api/orders/{orderId}/refund", new { amountMinor = 1_000 })).AssertProblemAsync(400, "marketplace.idempotency_key_required");
        await (await admin.PostJsonAsync($"/api/orders/{orderId}/refund", new { amountMinor = 999_999 }, MarketplaceFactory.NewKey())).AssertProblemAsync(400, "marketplace.invalid_request");
        var key = MarketplaceFactory.NewKey();
        var refunded = await (await admin.PostJsonAsync($"/api/orders/{orderId}/refund", new { amountMinor = 1_000 }, key)).JsonAsync();
        Assert.Equal("partially_refunded", Scenario.Status(refunded));
        Assert.Equal(1_000, refunded.GetProperty("refundedMinor").GetInt64());
        Assert.Equal(1_000, refunded.GetProperty("payment").GetProperty("refundedMinor").GetInt64());

        // The same key again refunds nothing more.
        var replay = await admin.PostJsonAsync($"/api/orders/{orderId}/refund", new { amountMinor = 1_000 }, key);
        Assert.Equal(1_000, (await replay.JsonAsync()).GetProperty("payment").GetProperty("refundedMinor").GetInt64());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());

        var list = await (await buyerClient.GetAsync("/api/orders")).JsonAsync();
        Assert.Equal([orderId], list.GetProperty("items").EnumerateArray().Select(static o => o.GetProperty("orderId").GetString()!).ToArray());
    }

    [Fact]
    public async Task Cancelling_a_paid_order_refunds_the_payment_and_returns_the_stock_once_even_when_retried()
    {
        var seller = MarketplaceFactory.NewUser("seller");
        var sellerClient = await factory.SellerAsync(seller);
        var sku = await Scenario.ListProductAsync(sellerClient, stock: 5, priceMinor: 1_200);
        var buyer = MarketplaceFactory.NewUser("buyer");
        var orderId = await Scenario.PlacePaidOrderAsync(factory, buyer, (sku, seller, 3, 1_200));
        Assert.Equal(2, await Scenario.AvailableAsync(sellerClient, sku));

        var buyerClient = await factory.BuyerAsync(buyer);
        var cancelled = await (await buyerClient.PostJsonAsync($"/api/orders/{orderId}/cancel", new { })).JsonAsync();
        Assert.Equal("cancelled", Scenario.Status(cancelled));
        Assert.Equal("refunded", cancelled.GetProperty("payment").GetProperty("status").GetString());
        Assert.Equal(5, await Scenario.AvailableAsync(sellerClient, sku));

        var again = await (await buyerClient.PostJsonAsync($"/api/orders/{orderId}/cancel", new { })).JsonAsync();
        Assert.Equal("cancelled", Scenario.Status(again));
        Assert.Equal(5, await Scenario.AvailableAsync(sellerClient, sku));
        var payment = await factory.Services.GetRequiredService<PaymentService>().GetAsync(new PaymentId(orderId), default);
        Assert.Equal(3_600, payment!.RefundedMinor);
    }

    [Fact]
    public async Task An_unknown_order_id_or_a_malformed_one_is_404()
    {
        var buyer = await factory.BuyerAsync();
        await (await buyer.GetAsync("/api/orders/" + new string('x', 300))).AssertProblemAsync(404, "marketplace.order_not_found");
        await (await buyer.GetAsync("/api/orders/ord-missing")).AssertProblemAsync(404, "marketplace.order_not_found");
    }

    [Fact]
    public async Task An_unknown_state_filter_is_400()
    {
        var seller = await factory.SellerAsync();
        await (await seller.GetAsync("/api/seller/orders?state=lost")).AssertProblemAsync(400, "marketplace.invalid_request");
    }
}
