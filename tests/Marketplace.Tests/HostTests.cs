using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;

namespace Marketplace.Tests;

public sealed class HostTests(MarketplaceFactory factory)
{
    [Fact]
    public async Task The_openapi_document_describes_the_contract()
    {
        var document = await (await factory.CreateClient().GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/dev/tokens", "/api/products", "/api/products/{sku}", "/api/products/{sku}/stock", "/api/orders/{orderId}",
                     "/api/orders/{orderId}/cancel", "/api/orders/{orderId}/fulfilments/{sellerId}/ship", "/api/orders/{orderId}/fulfilments/{sellerId}/deliver",
                     "/api/cart", "/api/notifications", "/api/webhooks/{provider}" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document.");
        }
    }

    [Fact]
    public async Task Health_live_and_ready_answer_on_the_embedded_default()
    {
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await (await client.GetAsync("/health/ready")).JsonAsync();
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
    }

    [Fact]
    public async Task With_dev_tokens_off_the_token_endpoint_does_not_exist()
    {
        await using var off = factory.WithWebHostBuilder(b => b.UseSetting("Marketplace:DevTokens", "false").UseSetting("Marketplace:Seed", "false"));
        var response = await off.CreateClient().PostJsonAsync("/api/dev/tokens", new { userId = "alice", role = "admin" });
        await response.AssertProblemAsync(404, "marketplace.not_found");
    }

    [Fact]
    public async Task A_webhook_with_a_wrong_or_missing_signature_is_400_and_changes_nothing()
    {
        var client = factory.CreateClient();
        var body = "{\"id\":\"evt_1\",\"type\":\"charge.refunded\",\"created\":1,\"data\":{\"object\":{}}}";
        var missing = await client.SendRawAsync(HttpMethod.Post, "/api/webhooks/simulated", body);
        await missing.AssertProblemAsync(400, "payments.webhook_signature_invalid");

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/simulated") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Stripe-Signature", Sign(body, "whsec_someone_else_entirely"));
        await (await client.SendAsync(request)).AssertProblemAsync(400, "payments.webhook_signature_invalid");

        await (await client.SendRawAsync(HttpMethod.Post, "/api/webhooks/nobody", body)).AssertProblemAsync(404, "payments.unknown_provider");
    }

    [Fact]
    public async Task A_signed_webhook_is_verified_and_accepted_also_when_redelivered()
    {
        var client = factory.CreateClient();
        var id = "evt_" + Guid.NewGuid().ToString("N");
        var body = $"{{\"id\":\"{id}\",\"type\":\"customer.created\",\"created\":{TimeProvider.System.GetUtcNow().ToUnixTimeSeconds()},\"data\":{{\"object\":{{}}}}}}";
        async Task<System.Text.Json.JsonElement> SendAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/simulated") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Stripe-Signature", Sign(body, MarketplaceFactory.WebhookSecret));
            return await (await client.SendAsync(request)).JsonAsync();
        }

        foreach (var delivery in new[] { await SendAsync(), await SendAsync() })
        {
            // An event about no payment of ours is accepted (200, so the PSP stops retrying) and changes nothing.
            Assert.Equal(0, delivery.GetProperty("applied").GetInt32());
            Assert.Equal(1, delivery.GetProperty("ignored").GetInt32() + delivery.GetProperty("duplicates").GetInt32());
        }
    }

    internal static string Sign(string body, string secret)
    {
        var timestamp = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }
}
