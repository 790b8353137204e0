using System.Collections.Frozen;
using Commerce;
using Commerce.Inventory;
using Marketplace.Catalog;
using Marketplace.Hosting;
using Marketplace.Idempotency;
using Microsoft.Extensions.Options;

namespace Marketplace.Seeding;

/// <summary>
/// Seeds the demo catalog at start-up so that the first curl shows something: four sellers, a few hundred products
/// (<see cref="MarketplaceOptions.SeedProducts"/>) generated deterministically across categories, and one flash-sale
/// SKU, <see cref="FlashSaleSku"/>, with <see cref="MarketplaceOptions.FlashSaleUnits"/> units. Runs after the
/// engine's and the sample's migrations (hosted services start in registration order). Turn it off with
/// <c>--seed false</c>.
/// </summary>
/// <remarks>
/// Products are added only when missing and stock is set with fixed idempotency keys, so restarting on PostgreSQL
/// (where both outlive the process) replays the seed instead of resetting stock that has since been sold.
/// </remarks>
public sealed partial class DemoSeeder(
    IProductStore products, InventoryService inventory, IOptions<MarketplaceOptions> options, TimeProvider time, ILogger<DemoSeeder> logger) : IHostedService
{
    /// <summary>The flash-sale SKU.</summary>
    public const string FlashSaleSku = "flash-console";

    /// <summary>The seller of the flash-sale SKU.</summary>
    public const string FlashSaleSeller = "acme";

    /// <summary>The demo sellers.</summary>
    public static readonly string[] Sellers = ["acme", "globex", "initech", "umbrella"];

    private static readonly (string Category, string[] Nouns, long BasePrice)[] Categories =
    [
        ("kitchen", ["mug", "kettle", "teapot", "skillet", "knife", "cutting board", "grinder"], 1_500),
        ("clothing", ["t-shirt", "hoodie", "scarf", "cap", "jacket", "socks", "raincoat"], 2_000),
        ("electronics", ["headphones", "speaker", "charger", "keyboard", "mouse", "webcam", "monitor"], 4_900),
        ("garden", ["hose", "trowel", "planter", "rake", "lantern", "bird feeder", "seed kit"], 1_200),
        ("books", ["cookbook", "novel", "atlas", "field guide", "notebook", "sketchbook", "almanac"], 900),
        ("toys", ["puzzle", "kite", "robot kit", "board game", "yo-yo", "building set", "plush bear"], 1_100),
    ];

    private static readonly string[] Adjectives =
        ["classic", "compact", "deluxe", "eco", "heavy-duty", "vintage", "wireless", "organic", "travel", "premium", "handmade", "foldable"];

    private static readonly string[] Colours = ["red", "blue", "green", "black", "white", "yellow"];

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Seed)
        {
            return;
        }

        var now = time.GetUtcNow();
        for (var i = 0; i < settings.SeedProducts; i++)
        {
            var (category, nouns, basePrice) = Categories[i % Categories.Length];
            var noun = nouns[i / Categories.Length % nouns.Length];
            var adjective = Adjectives[i / (Categories.Length * nouns.Length) % Adjectives.Length];
            var colour = Colours[i % Colours.Length];
            var seller = Sellers[i % Sellers.Length];
            var sku = $"{seller}-{category}-{i:D4}";
            var price = basePrice + (i * 37 % 50 * 100);
            var stock = i % 10 == 0 ? 0 : 5 + (i * 13 % 60);   // every tenth product is out of stock
            var title = $"{char.ToUpperInvariant(adjective[0])}{adjective[1..]} {noun}";
            var description = $"A {adjective} {colour} {noun} from {seller}. Item {i + 1} of the demo catalog.";
            await SeedAsync(seller, sku, title, description, price, category, new Dictionary<string, string> { ["colour"] = colour }, stock, now, cancellationToken);
        }

        await SeedAsync(FlashSaleSeller, FlashSaleSku, "Flash sale: game console", "The flash-sale SKU: a limited run of game consoles at a launch price.",
            29_900, "electronics", new Dictionary<string, string> { ["edition"] = "launch" }, settings.FlashSaleUnits, now, cancellationToken);
        LogSeeded(settings.SeedProducts + 1, Sellers.Length, FlashSaleSku, settings.FlashSaleUnits);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task SeedAsync(
        string sellerName, string skuText, string title, string description, long priceMinor, string category,
        Dictionary<string, string> attributes, long stock, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var seller = new SellerId(sellerName);
        var sku = new Sku(skuText);
        var product = new Product(sku, seller, title, description, Money.FromMinorUnits(priceMinor, "USD"), category,
            attributes.ToFrozenDictionary(StringComparer.Ordinal), now);
        await products.TryAddAsync(product, cancellationToken);
        await inventory.SetOnHandAsync(
            new StockCount(sku, stock, "demo seed", ScopedIds.StockChange(seller, new IdempotencyKey($"seed-{stock}"), sku)), cancellationToken);
    }

    [LoggerMessage(1, LogLevel.Information, "Seeded {Count} demo products of {Sellers} sellers; flash-sale SKU {FlashSku} has {Units} units.")]
    private partial void LogSeeded(int count, int sellers, string flashSku, int units);
}
