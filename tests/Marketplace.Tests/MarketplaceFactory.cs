using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Marketplace.Idempotency;
using Marketplace.Identity;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

[assembly: AssemblyFixture(typeof(Marketplace.Tests.MarketplaceFactory))]

namespace Marketplace.Tests;

/// <summary>
/// One in-process marketplace for the whole assembly, seeded like a real run. Tests share it and run in parallel,
/// so each one works on SKUs and idempotency keys of its own (<see cref="NewSku"/>, <see cref="NewKey"/>) and never
/// changes the stock of the seeded products.
/// </summary>
public sealed class MarketplaceFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Always the embedded store, even when the shell that runs the tests has ConnectionStrings__Commerce set.
        builder.UseSetting("ConnectionStrings:Commerce", string.Empty);
    }

    /// <summary>
    /// Starts the one server before any test runs. WebApplicationFactory builds its host lazily on the first
    /// CreateClient and that is not thread-safe: test classes running in parallel would each build a host (each with
    /// its own in-memory catalog) and their clients would talk to different marketplaces.
    /// </summary>
    public ValueTask InitializeAsync()
    {
        StartServer();
        return ValueTask.CompletedTask;
    }

    /// <summary>A client signed in as <paramref name="user"/> (<c>buyer:alice</c>, <c>seller:acme</c>), or anonymous.</summary>
    public HttpClient ClientFor(string? user)
    {
        var client = CreateClient();
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(DemoAuthentication.HeaderName, user);
        }

        return client;
    }

    public static string NewSku(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}";

    public static string NewKey() => Guid.NewGuid().ToString();

    public static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];
}

/// <summary>Request and response helpers shared by the tests.</summary>
public static class Http
{
    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string url, object body, string? idempotencyKey = null) =>
        client.SendAsync(Request(HttpMethod.Post, url, body, idempotencyKey));

    public static Task<HttpResponseMessage> PutAsync(this HttpClient client, string url, object body) =>
        client.SendAsync(Request(HttpMethod.Put, url, body, null));

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response)
    {
        var value = await response.Content.ReadFromJsonAsync<T>(MarketplaceFactory.Json);
        Assert.NotNull(value);
        return value;
    }

    /// <summary>Asserts an RFC 7807 problem with the status and stable code, and returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, int status, string code)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        return problem;
    }

    private static HttpRequestMessage Request(HttpMethod method, string url, object body, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(body, options: MarketplaceFactory.Json) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyHeader.Name, idempotencyKey);
        }

        return request;
    }
}
