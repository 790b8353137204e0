using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Commerce.Events;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;
using Commerce.Payments.Providers.Stripe;
using Marketplace.Carts;
using Marketplace.Catalog;
using Marketplace.Checkout;
using Marketplace.Diagnostics;
using Marketplace.Errors;
using Marketplace.Health;
using Marketplace.Hosting;
using Marketplace.Identity;
using Marketplace.Notifications;
using Marketplace.Orders;
using Marketplace.Payments;
using Marketplace.Seeding;
using Marketplace.Storage;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Npgsql;

var builder = WebApplication.CreateBuilder(args);

// The short switches (--storage, --postgres, --redis, --dev-tokens, ...) on top of appsettings.json and
// Marketplace__* environment variables; --Marketplace:Storage=postgres works too.
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>(MarketplaceOptions.SwitchMappings));
var settings = builder.Configuration.GetSection(MarketplaceOptions.Section).Get<MarketplaceOptions>() ?? new MarketplaceOptions();
var problems = settings.Validate();
if (problems.Count > 0)
{
    // Stop before anything starts, naming each bad setting and how to fix it.
    await Console.Error.WriteLineAsync("The marketplace cannot start:\n  - " + string.Join("\n  - ", problems));
    return 2;
}

builder.Services.AddOptions<MarketplaceOptions>().Bind(builder.Configuration.GetSection(MarketplaceOptions.Section))
    .Validate(static o => o.Validate().Count == 0, "The Marketplace settings are invalid.").ValidateOnStart();

// 127.0.0.1:5080 unless the host was told otherwise (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Kestrel
// endpoints). Set in code rather than in appsettings.json, where it would override ASPNETCORE_URLS.
if (string.IsNullOrEmpty(builder.Configuration["urls"])
    && string.IsNullOrEmpty(builder.Configuration["http_ports"])
    && string.IsNullOrEmpty(builder.Configuration["https_ports"])
    && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes);

// The engine: in memory by default, PostgreSQL with --storage postgres (each store migrates its schema at start-up,
// before any other hosted service runs).
var postgres = settings.StorageKind == StorageKind.Postgres;
if (postgres)
{
    builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(settings.PostgreSql!));
}

builder.Services.TryAddSingletonTimeProvider();
builder.Services.AddSingleton<MarketplaceTelemetry>();
builder.Services.AddSingleton<NotificationFeed>();
builder.Services.AddSingleton<IEventPublisher, OrderNotificationPublisher>();

var inventory = builder.Services.AddCommerceInventory(options => builder.Configuration.GetSection("Inventory").Bind(options));
var ordering = builder.Services.AddCommerceOrdering();
var payments = builder.Services.AddCommercePayments()
    .AddSimulatedProvider("simulated")
    .AddWebhookParser("simulated", sp => new StripeWebhookParser(
        // The simulated PSP signs its webhooks the way Stripe does; the API key is never used by the parser.
        new StripeOptions { ApiKey = "sk_simulated", WebhookSecret = settings.WebhookSecret }, sp.GetRequiredService<TimeProvider>()));
if (postgres)
{
    var schema = settings.Schema;
    inventory.UsePostgreSql(static sp => sp.GetRequiredService<NpgsqlDataSource>(), o => o.Schema = schema);
    ordering.UsePostgreSql(static sp => sp.GetRequiredService<NpgsqlDataSource>(), o => o.Schema = schema);
    payments.UsePostgreSql(static sp => sp.GetRequiredService<NpgsqlDataSource>(), o => o.Schema = schema);
    builder.Services.AddHostedService<MarketplaceSchema>();
    builder.Services.AddSingleton<IProductStore, PostgreSqlProductStore>();
    builder.Services.AddSingleton<ICartStore, PostgreSqlCartStore>();
}
else
{
    builder.Services.AddSingleton<IProductStore, InMemoryProductStore>();
    builder.Services.AddSingleton<ICartStore, InMemoryCartStore>();
}

builder.Services.AddSingleton<ProductCache>();

// Checkout: the saga over the engines above, prices from the catalog, flash-sale admission (per-buyer and global
// token buckets, a bounded queue, a sold-out gate) configured in the "Checkout" section.
builder.Services.AddSingleton<MarketplacePriceCatalog>();
var checkout = builder.Services.AddCommerceCheckout(options => builder.Configuration.GetSection("Checkout").Bind(options))
    .UsePriceCatalog(static sp => sp.GetRequiredService<MarketplacePriceCatalog>());
if (postgres)
{
    // Sagas in the same database and schema as stock and orders, so each group of local steps is one transaction.
    var schema = settings.Schema;
    checkout.UsePostgreSql(o => o.Schema = schema);
}

// Redis: payment idempotency keys and the per-buyer checkout limit move there, so several host instances share them.
// With the in-memory default Redis also holds the stock. With PostgreSQL, stock stays there: the checkout reserves in
// the same transaction as it places the order, which a Redis gate in front of the inventory store would not see (the
// checkout's own sold-out gate answers sold-out SKUs without the database).
if (!string.IsNullOrWhiteSpace(settings.Redis))
{
    var redis = settings.Redis;
    builder.Services.AddCommerceRedis(o => o.Configuration = redis);
    if (!postgres)
    {
        inventory.UseRedis();
    }

    payments.UseRedisIdempotency(static sp => sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>());
    var checkoutSection = builder.Configuration.GetSection("Checkout");
    var buyerPermits = checkoutSection.GetValue<int?>(nameof(Commerce.Checkout.CheckoutOptions.BuyerPermitsPerSecond)) ?? 10;
    var buyerBurst = checkoutSection.GetValue<int?>(nameof(Commerce.Checkout.CheckoutOptions.BuyerBurst)) ?? 20;
    builder.Services.AddRedisPartitionedTokenBucketRateLimiter(BuyerLimiterName, o =>
    {
        o.TokenLimit = buyerBurst;
        o.TokensPerPeriod = buyerPermits;
        o.ReplenishmentPeriod = TimeSpan.FromSeconds(1);
    });
    checkout.UseBuyerRateLimiter(static sp => sp.GetRequiredKeyedService<PartitionedRateLimiter<string>>(BuyerLimiterName));
}

// After the migrations: hosted services start in registration order.
builder.Services.AddHostedService<DemoSeeder>();

// Health: live is "the process answers"; ready checks every server the host depends on.
var health = builder.Services.AddHealthChecks();
if (postgres)
{
    health.AddCheck<PostgreSqlHealthCheck>("postgresql", tags: ["ready"]);
}

if (!string.IsNullOrWhiteSpace(settings.Redis))
{
    builder.Services.AddSingleton<RedisHealthCheck>();
    health.AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
}

// Errors: every failure is RFC 7807 problem details with a stable "code" extension.
builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = CommerceProblems.AddMissingCode);
builder.Services.AddExceptionHandler<CommerceExceptionHandler>();

// Unreadable bodies and parameters throw in every environment (not only Development), so that the exception
// handler answers them with a code instead of an empty 400. Bodies are strict: an unknown field or a number sent as
// a string is refused, not ignored or coerced.
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
    options.SerializerOptions.AllowDuplicateProperties = false;
    options.SerializerOptions.MaxDepth = 16;
    options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
});

// Identity: bearer tokens (ASP.NET Core's own format, protected by Data Protection). The dev token endpoint issues
// them; a real deployment issues them from its identity provider and turns the endpoint off.
builder.Services.AddAuthentication(BearerTokenDefaults.AuthenticationScheme)
    .AddBearerToken(options => options.BearerTokenExpiration = settings.TokenLifetime);

// Keys in memory: tokens die with the process, which suits a sample. Several hosts behind a balancer would share a
// key ring (PersistKeysToDbContext, a shared folder, ...).
builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(MarketplacePolicies.Buyer, policy => policy.RequireAuthenticatedUser().RequireRole(MarketplaceRoles.Buyer))
    .AddPolicy(MarketplacePolicies.Seller, policy => policy.RequireAuthenticatedUser().RequireRole(MarketplaceRoles.Seller))
    .AddPolicy(MarketplacePolicies.Admin, policy => policy.RequireAuthenticatedUser().RequireRole(MarketplaceRoles.Admin))
    .AddPolicy(MarketplacePolicies.AnyUser, policy => policy.RequireAuthenticatedUser());

builder.Services.AddOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseMiddleware<BodySizeLimit>();
app.UseAuthentication();
app.UseAuthorization();

// A landing document, so that a bare curl of the root says what to try next (samples/Marketplace/README.md has more).
app.MapGet("/", () => TypedResults.Ok(new
{
    name = "Commerce Engine sample marketplace",
    storage = postgres ? "postgres" : "memory",
    token = settings.DevTokens
        ? "POST /api/dev/tokens {\"userId\":\"alice\",\"role\":\"buyer\"} then send 'Authorization: Bearer <token>'"
        : "dev tokens are off (--dev-tokens false)",
    flashSaleSku = DemoSeeder.FlashSaleSku,
    openApi = "/openapi/v1.json",
})).AllowAnonymous().ExcludeFromDescription();

if (settings.DevTokens)
{
    app.MapDevTokenEndpoints();
}

app.MapCatalogEndpoints();
app.MapCartEndpoints();
app.MapCheckoutEndpoints();
app.MapOrderEndpoints();
app.MapWebhookEndpoints();
app.MapNotificationEndpoints();
app.MapOpenApi().AllowAnonymous();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = static _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = static c => c.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync })
    .AllowAnonymous();

app.Lifetime.ApplicationStarted.Register(() =>
{
    // The test server has no addresses; a real run prints where to point curl and how to get a token.
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
    var url = addresses?.FirstOrDefault() ?? "(in-process test server)";
    var storage = postgres ? $"postgres, schema {settings.Schema}" : "memory";
    var tokenHint = settings.DevTokens
        ? $"curl -s -X POST {url}/api/dev/tokens -H 'Content-Type: application/json' -d '{{\"userId\":\"alice\",\"role\":\"buyer\"}}'"
        : "dev tokens are off";
    Console.WriteLine($"Marketplace listening on {url} (storage: {storage}). Get a token: {tokenHint}");
    Console.WriteLine($"Try: curl '{url}/api/products?q=mug' · OpenAPI: {url}/openapi/v1.json · flash-sale SKU: {DemoSeeder.FlashSaleSku}");
});

await app.RunAsync();
return 0;

/// <summary>The sample marketplace host; public and partial so that tests can start it with WebApplicationFactory.</summary>
public partial class Program
{
    private const string BuyerLimiterName = "checkout-buyers";
}
