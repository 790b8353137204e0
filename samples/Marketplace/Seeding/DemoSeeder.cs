using Commerce;
using Commerce.Inventory;
using Marketplace.Catalog;
using Marketplace.Idempotency;

namespace Marketplace.Seeding;

/// <summary>
/// Lists a few products of two demo sellers and receives their opening stock at start-up, so that the first
/// <c>curl</c> shows something. Runs after the inventory engine's own start-up work (the PostgreSQL migration),
/// because hosted services start in registration order. Turn it off with <c>Marketplace:Seed=false</c>.
/// </summary>
/// <remarks>
/// The stock is received with fixed idempotency keys, so restarting on PostgreSQL (where stock outlives the
/// process) replays the receipts instead of adding the opening stock again.
/// </remarks>
public sealed partial class DemoSeeder(
    ProductCatalog catalog, InventoryService inventory, IConfiguration configuration, ILogger<DemoSeeder> logger) : IHostedService
{
    private static readonly SeedProduct[] Products =
    [
        new("acme", "acme-mug", "Acme coffee mug", "A 350 ml stoneware mug that survives the dishwasher.", 12.50m, 25),
        new("acme", "acme-tee", "Acme T-shirt", "Organic cotton, printed with the Acme logo.", 19.99m, 40),
        new("acme", "acme-anvil", "Acme anvil", "Cast iron, 50 kg. Ships by freight.", 249.00m, 3),
        new("globex", "globex-lamp", "Globex desk lamp", "An LED desk lamp with a dimmer and a USB port.", 34.00m, 10),
        new("globex", "globex-poster", "Globex limited poster", "A signed print from a run of 100. Sold out.", 9.00m, 0),
    ];

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue("Marketplace:Seed", defaultValue: true))
        {
            return;
        }

        foreach (var seed in Products)
        {
            var seller = new SellerId(seed.Seller);
            var sku = new Sku(seed.Sku);
            catalog.Add(new Product(sku, seller, seed.Title, seed.Description, Money.FromDecimal(seed.Price, Currency.USD)));
            if (seed.Stock > 0)
            {
                var key = ScopedIds.StockChange(seller, new IdempotencyKey($"seed-{seed.Sku}"));
                await inventory.AdjustStockAsync(new StockAdjustment(sku, seed.Stock, "opening stock", key), cancellationToken);
            }
        }

        LogSeeded(Products.Length);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1, LogLevel.Information, "Seeded {Count} demo products for sellers acme and globex.")]
    private partial void LogSeeded(int count);

    private sealed record SeedProduct(string Seller, string Sku, string Title, string Description, decimal Price, long Stock);
}
