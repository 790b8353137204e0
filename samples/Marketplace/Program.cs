using System.Text.Json;
using System.Text.Json.Serialization;
using Marketplace.Catalog;
using Marketplace.Errors;
using Marketplace.Identity;
using Marketplace.Reservations;
using Marketplace.Seeding;
using Marketplace.Sellers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var builder = WebApplication.CreateBuilder(args);

// 127.0.0.1:5080 unless the host was told otherwise (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Kestrel
// endpoints). Set in code rather than in appsettings.json, where it would override ASPNETCORE_URLS.
if (string.IsNullOrEmpty(builder.Configuration["urls"])
    && string.IsNullOrEmpty(builder.Configuration["http_ports"])
    && string.IsNullOrEmpty(builder.Configuration["https_ports"])
    && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

// Inventory: the embedded in-memory store by default, PostgreSQL when ConnectionStrings:Commerce is set.
var inventory = builder.Services.AddCommerceInventory(options => builder.Configuration.GetSection("Inventory").Bind(options));
var connectionString = builder.Configuration.GetConnectionString("Commerce");
var store = string.IsNullOrWhiteSpace(connectionString) ? "in-memory" : "PostgreSQL";
if (!string.IsNullOrWhiteSpace(connectionString))
{
    inventory.UsePostgreSql(connectionString);
}

builder.Services.AddSingleton<ProductCatalog>();
builder.Services.AddSingleton<ReservationOwners>();

// Registered after the inventory engine so that it starts after the engine's migration.
builder.Services.AddHostedService<DemoSeeder>();

// Errors: every failure is RFC 7807 problem details with a stable "code" extension.
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<CommerceExceptionHandler>();

// Unreadable bodies and parameters throw in every environment (not only Development), so that the exception
// handler answers them with a code instead of an empty 400.
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Services.ConfigureHttpJsonOptions(options =>
    options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));

// Identity: the DEMO header scheme (see Identity/DemoAuthentication.cs); replace it with real authentication.
builder.Services.AddAuthentication(DemoAuthentication.Scheme)
    .AddScheme<AuthenticationSchemeOptions, DemoAuthenticationHandler>(DemoAuthentication.Scheme, configureOptions: null);
// The demo scheme issues no cookies or tokens, so nothing needs durable Data Protection keys: keep them in memory
// instead of writing a key ring to the user's profile (and warning that it is unencrypted) on every start.
builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(MarketplacePolicies.Buyer, policy => policy.RequireAuthenticatedUser().RequireRole(MarketplaceRoles.Buyer))
    .AddPolicy(MarketplacePolicies.Seller, policy => policy.RequireAuthenticatedUser().RequireRole(MarketplaceRoles.Seller));

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

// A landing document, so that a bare curl of the root says what to try next (samples/Marketplace/README.md has more).
var index = new
{
    name = "Commerce Engine sample marketplace",
    inventoryStore = store,
    identity = $"DEMO header '{DemoAuthentication.HeaderName}: buyer:<name>' or '{DemoAuthentication.HeaderName}: seller:<name>'",
    endpoints = new[]
    {
        "GET /catalog/products?q=&seller=&offset=&limit=",
        "GET /catalog/products/{sku}",
        "GET|POST /seller/products",
        "GET|PUT /seller/products/{sku}",
        "GET /seller/products/{sku}/stock",
        "POST /seller/products/{sku}/stock/adjustments",
        "GET|POST /cart/reservations",
        "GET /cart/reservations/{id}",
        "POST /cart/reservations/{id}/commit",
        "POST /cart/reservations/{id}/release",
    },
};
app.MapGet("/", () => TypedResults.Ok(index)).AllowAnonymous();
app.MapCatalogEndpoints();
app.MapSellerEndpoints();
app.MapCartEndpoints();

app.Lifetime.ApplicationStarted.Register(() =>
{
    // The test server has no addresses; a real run logs where to point curl.
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
    var url = addresses?.FirstOrDefault() ?? "(in-process test server)";
    LogReady(app.Logger, url, store);
});

app.Run();

/// <summary>The sample marketplace host; public and partial so that tests can start it with WebApplicationFactory.</summary>
public partial class Program
{
    [LoggerMessage(1, LogLevel.Information, "Marketplace listening on {Url} (inventory store: {Store}). Try: curl {Url}/catalog/products")]
    private static partial void LogReady(ILogger logger, string url, string store);
}
