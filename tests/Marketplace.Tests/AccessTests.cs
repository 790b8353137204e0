using System.Net;
using System.Net.Http.Headers;

namespace Marketplace.Tests;

/// <summary>Every forbidden combination of role, ownership and endpoint, and what it answers.</summary>
public sealed class AccessTests(MarketplaceFactory factory)
{
    public static TheoryData<string, string> ProtectedEndpoints => new()
    {
        { "POST", "/api/products" },
        { "PUT", "/api/products/flash-console" },
        { "PUT", "/api/products/flash-console/stock" },
        { "GET", "/api/products/flash-console/stock" },
        { "GET", "/api/seller/products" },
        { "GET", "/api/seller/orders" },
        { "GET", "/api/cart" },
        { "PUT", "/api/cart/items/flash-console" },
        { "DELETE", "/api/cart/items/flash-console" },
        { "DELETE", "/api/cart" },
        { "POST", "/api/checkout" },
        { "GET", "/api/orders" },
        { "GET", "/api/orders/ord-1" },
        { "POST", "/api/orders/ord-1/cancel" },
        { "POST", "/api/orders/ord-1/fulfilments/acme/ship" },
        { "POST", "/api/orders/ord-1/fulfilments/acme/deliver" },
        { "POST", "/api/orders/ord-1/refund" },
        { "GET", "/api/notifications" },
        { "GET", "/api/notifications/stream" },
    };

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task Without_a_token_every_protected_endpoint_is_401(string method, string url)
    {
        var response = await factory.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = Body(method) });
        await response.AssertProblemAsync(401, "marketplace.unauthenticated");
    }

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task A_forged_or_garbled_token_is_401(string method, string url)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "CfDJ8-not-a-real-token");
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = Body(method) });
        await response.AssertProblemAsync(401, "marketplace.unauthenticated");
    }

    public static TheoryData<string, string, string> WrongRole => new()
    {
        // Seller-only endpoints, tried by a buyer and an admin.
        { "buyer", "POST", "/api/products" },
        { "admin", "POST", "/api/products" },
        { "buyer", "PUT", "/api/products/flash-console" },
        { "buyer", "PUT", "/api/products/flash-console/stock" },
        { "admin", "PUT", "/api/products/flash-console/stock" },
        { "buyer", "GET", "/api/products/flash-console/stock" },
        { "buyer", "GET", "/api/seller/products" },
        { "buyer", "GET", "/api/seller/orders" },
        { "admin", "GET", "/api/seller/orders" },

        // Buyer-only endpoints, tried by a seller and an admin.
        { "seller", "GET", "/api/cart" },
        { "admin", "GET", "/api/cart" },
        { "seller", "PUT", "/api/cart/items/flash-console" },
        { "seller", "DELETE", "/api/cart" },
        { "seller", "POST", "/api/checkout" },
        { "admin", "POST", "/api/checkout" },
        { "seller", "GET", "/api/orders" },
    };

    [Theory]
    [MemberData(nameof(WrongRole))]
    public async Task A_role_that_may_not_use_an_endpoint_is_403(string role, string method, string url)
    {
        var client = await factory.ClientForAsync(MarketplaceFactory.NewUser(role), role);
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = Body(method) });
        await response.AssertProblemAsync(403, "marketplace.forbidden");
    }

    [Fact]
    public async Task A_seller_may_not_change_another_sellers_product_or_stock_or_read_its_stock()
    {
        var owner = await factory.SellerAsync();
        var sku = await Scenario.ListProductAsync(owner, stock: 4, priceMinor: 800);
        var other = await factory.SellerAsync();

        await (await other.PutJsonAsync($"/api/products/{sku}", new { title = "Hijacked", priceMinor = 1, currency = "USD", category = "kitchen" }))
            .AssertProblemAsync(403, "marketplace.not_product_owner");
        await (await other.PutJsonAsync($"/api/products/{sku}/stock", new { onHand = 0 })).AssertProblemAsync(403, "marketplace.not_product_owner");
        await (await other.GetAsync($"/api/products/{sku}/stock")).AssertProblemAsync(403, "marketplace.not_product_owner");

        // Nothing changed.
        var read = await (await owner.GetAsync($"/api/products/{sku}")).JsonAsync();
        Assert.Equal("Test mug", read.GetProperty("title").GetString());
        Assert.Equal(800, read.GetProperty("priceMinor").GetInt64());
        Assert.Equal(4, read.GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task A_buyer_sees_only_their_own_cart()
    {
        var alice = await factory.BuyerAsync();
        var bob = await factory.BuyerAsync();
        await (await alice.PutJsonAsync("/api/cart/items/flash-console", new { quantity = 1 })).JsonAsync();
        var bobs = await (await bob.GetAsync("/api/cart")).JsonAsync();
        Assert.Equal(0, bobs.GetProperty("lines").GetArrayLength());
        var alices = await (await alice.GetAsync("/api/cart")).JsonAsync();
        Assert.Equal(1, alices.GetProperty("lines").GetArrayLength());
    }

    [Fact]
    public async Task Order_access_is_404_for_strangers_and_403_for_participants_acting_beyond_their_part()
    {
        var acme = MarketplaceFactory.NewUser("seller");
        var globex = MarketplaceFactory.NewUser("seller");
        var buyer = MarketplaceFactory.NewUser("buyer");
        var acmeClient = await factory.SellerAsync(acme);
        var globexClient = await factory.SellerAsync(globex);
        var acmeSku = await Scenario.ListProductAsync(acmeClient, stock: 5, priceMinor: 1_000);
        var globexSku = await Scenario.ListProductAsync(globexClient, stock: 5, priceMinor: 2_000);
        var orderId = await Scenario.PlacePaidOrderAsync(factory, buyer, (acmeSku, acme, 1, 1_000), (globexSku, globex, 2, 2_000));

        var owner = await factory.BuyerAsync(buyer);
        var strangerBuyer = await factory.BuyerAsync();
        var strangerSeller = await factory.SellerAsync();
        var admin = await factory.AdminAsync();
        var missing = "ord-" + Guid.NewGuid().ToString("N");

        // Reading: the buyer and an admin see all of it, each seller their part, anyone else the same 404 as a missing order.
        Assert.Equal(2, (await (await owner.GetAsync($"/api/orders/{orderId}")).JsonAsync()).GetProperty("lines").GetArrayLength());
        Assert.Equal(2, (await (await admin.GetAsync($"/api/orders/{orderId}")).JsonAsync()).GetProperty("lines").GetArrayLength());
        var acmeView = await (await acmeClient.GetAsync($"/api/orders/{orderId}")).JsonAsync();
        Assert.Equal([acmeSku], acmeView.GetProperty("lines").EnumerateArray().Select(static l => l.GetProperty("sku").GetString()!).ToArray());
        Assert.Equal(1_000, acmeView.GetProperty("totalMinor").GetInt64());
        foreach (var stranger in new[] { strangerBuyer, strangerSeller })
        {
            var seen = await (await stranger.GetAsync($"/api/orders/{orderId}")).AssertProblemAsync(404, "marketplace.order_not_found");
            var notThere = await (await stranger.GetAsync($"/api/orders/{missing}")).AssertProblemAsync(404, "marketplace.order_not_found");
            Assert.Equal(notThere.GetProperty("detail").GetString(), seen.GetProperty("detail").GetString());

            await (await stranger.PostJsonAsync($"/api/orders/{orderId}/cancel", new { })).AssertProblemAsync(404, "marketplace.order_not_found");
            await (await stranger.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{acme}/ship", new { trackingNumber = "X" })).AssertProblemAsync(404, "marketplace.order_not_found");
            await (await stranger.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{acme}/deliver", new { })).AssertProblemAsync(404, "marketplace.order_not_found");
            await (await stranger.PostJsonAsync($"/api/orders/{orderId}/refund", new { amountMinor = 100 }, MarketplaceFactory.NewKey())).AssertProblemAsync(404, "marketplace.order_not_found");
        }

        // Participants acting beyond their part: 403.
        await (await acmeClient.PostJsonAsync($"/api/orders/{orderId}/cancel", new { })).AssertProblemAsync(403, "marketplace.forbidden");
        await (await acmeClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{globex}/ship", new { trackingNumber = "X" })).AssertProblemAsync(403, "marketplace.forbidden");
        await (await acmeClient.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{globex}/deliver", new { })).AssertProblemAsync(403, "marketplace.forbidden");
        await (await owner.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{acme}/ship", new { trackingNumber = "X" })).AssertProblemAsync(403, "marketplace.forbidden");
        await (await owner.PostJsonAsync($"/api/orders/{orderId}/fulfilments/{acme}/deliver", new { })).AssertProblemAsync(403, "marketplace.forbidden");
        await (await owner.PostJsonAsync($"/api/orders/{orderId}/refund", new { amountMinor = 100 }, MarketplaceFactory.NewKey())).AssertProblemAsync(403, "marketplace.forbidden");
        await (await acmeClient.PostJsonAsync($"/api/orders/{orderId}/refund", new { amountMinor = 100 }, MarketplaceFactory.NewKey())).AssertProblemAsync(403, "marketplace.forbidden");

        // A buyer's order list and a seller's fulfilment list hold only their own.
        var list = await (await strangerBuyer.GetAsync("/api/orders")).JsonAsync();
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
        var strangerFulfilments = await (await strangerSeller.GetAsync("/api/seller/orders")).JsonAsync();
        Assert.Equal(0, strangerFulfilments.GetProperty("items").GetArrayLength());

        // None of that changed the order.
        var after = await (await owner.GetAsync($"/api/orders/{orderId}")).JsonAsync();
        Assert.Equal("paid", Scenario.Status(after));
        Assert.Equal(0, after.GetProperty("refundedMinor").GetInt64());
    }

    [Fact]
    public async Task An_admin_has_no_cart_and_no_seller_back_office_but_may_read_any_order()
    {
        var admin = await factory.AdminAsync();
        await (await admin.GetAsync("/api/cart")).AssertProblemAsync(403, "marketplace.forbidden");
        await (await admin.GetAsync("/api/orders/ord-none")).AssertProblemAsync(404, "marketplace.order_not_found");
    }

    private static StringContent? Body(string method) =>
        method is "POST" or "PUT" ? new StringContent("{}", System.Text.Encoding.UTF8, "application/json") : null;
}
