using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

[assembly: AssemblyFixture(typeof(Marketplace.Tests.MarketplaceFactory))]

namespace Marketplace.Tests;

/// <summary>
/// One in-process marketplace on the embedded default for the whole assembly, seeded like a real run (with a smaller
/// catalog). Tests share it and run in parallel, so each one works on SKUs, users and keys of its own
/// (<see cref="NewSku"/>, <see cref="NewUser"/>) and never changes the stock of the seeded products.
/// </summary>
public sealed class MarketplaceFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Always the embedded store, even when the shell that runs the tests has Marketplace__* set.
        builder.UseSetting("Marketplace:Storage", "memory");
        builder.UseSetting("Marketplace:PostgreSql", string.Empty);
        builder.UseSetting("Marketplace:Redis", string.Empty);
        builder.UseSetting("Marketplace:SeedProducts", "60");
        builder.UseSetting("Marketplace:MaxRequestBodyBytes", "8192");
        builder.UseSetting("Marketplace:WebhookSecret", WebhookSecret);
    }

    public const string WebhookSecret = "whsec_marketplace_tests_0123456789";

    /// <summary>
    /// Starts the one server before any test runs: WebApplicationFactory builds its host lazily on the first
    /// CreateClient, which is not thread-safe across test classes running in parallel.
    /// </summary>
    public ValueTask InitializeAsync()
    {
        StartServer();
        return ValueTask.CompletedTask;
    }

    /// <summary>A client signed in as <paramref name="userId"/> with <paramref name="role"/> through the dev token endpoint.</summary>
    public async Task<HttpClient> ClientForAsync(string userId, string role)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, userId, role));
        return client;
    }

    public Task<HttpClient> BuyerAsync(string? id = null) => ClientForAsync(id ?? NewUser("buyer"), "buyer");

    public Task<HttpClient> SellerAsync(string? id = null) => ClientForAsync(id ?? NewUser("seller"), "seller");

    public Task<HttpClient> AdminAsync() => ClientForAsync(NewUser("admin"), "admin");

    public static async Task<string> TokenAsync(HttpClient client, string userId, string role)
    {
        var response = await client.PostAsJsonAsync("/api/dev/tokens", new { userId, role });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    public static string NewSku(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}";

    public static string NewKey() => Guid.NewGuid().ToString();

    public static string NewUser(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];
}

/// <summary>Request and response helpers shared by the tests.</summary>
public static class Http
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body, string? idempotencyKey = null) =>
        client.SendAsync(Request(HttpMethod.Post, url, JsonContent.Create(body, options: MarketplaceFactory.Json), idempotencyKey));

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, object body, string? idempotencyKey = null) =>
        client.SendAsync(Request(HttpMethod.Put, url, JsonContent.Create(body, options: MarketplaceFactory.Json), idempotencyKey));

    /// <summary>Sends a raw body, as a client with a bug (or an attacker) would.</summary>
    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string url, string body, string? idempotencyKey = null) =>
        client.SendAsync(Request(method, url, new StringContent(body, Encoding.UTF8, "application/json"), idempotencyKey));

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 7807 problem with the status and stable code, and returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        return problem;
    }

    private static HttpRequestMessage Request(HttpMethod method, string url, HttpContent content, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }
}
