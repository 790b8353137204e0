using System.Collections.Concurrent;
using Commerce;
using Marketplace.Diagnostics;
using Marketplace.Hosting;
using Microsoft.Extensions.Options;

namespace Marketplace.Catalog;

/// <summary>
/// The product read cache: product reads (not availability, which is always live) come from memory for up to
/// <see cref="MarketplaceOptions.ProductCacheLifetime"/>, and a change made through this host invalidates the entry
/// at once. Each SKU has a generation that an invalidation bumps; an entry counts only while its generation is
/// current, so a read that loaded the old product before a change and stores it after the invalidation is ignored
/// rather than serving the old price until the lifetime ends.
/// </summary>
public sealed class ProductCache(IProductStore store, IOptions<MarketplaceOptions> options, TimeProvider time, MarketplaceTelemetry telemetry)
{
    private readonly ConcurrentDictionary<Sku, Entry> _entries = new();
    private readonly ConcurrentDictionary<Sku, long> _generations = new();
    private readonly TimeSpan _lifetime = options.Value.ProductCacheLifetime;

    /// <summary>The product, from the cache when fresh.</summary>
    public async ValueTask<Product?> GetAsync(Sku sku, CancellationToken cancellationToken)
    {
        var generation = _generations.GetValueOrDefault(sku);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(sku, out var entry) && entry.Generation == generation && entry.ExpiresAt > now)
        {
            telemetry.CacheLookup(hit: true);
            return entry.Product;
        }

        telemetry.CacheLookup(hit: false);
        var product = await store.GetAsync(sku, cancellationToken);
        if (product is not null && _lifetime > TimeSpan.Zero)
        {
            _entries[sku] = new Entry(product, generation, now + _lifetime);
        }

        return product;
    }

    /// <summary>Drops the SKU's entry; call after every change to the product.</summary>
    public void Invalidate(Sku sku)
    {
        _generations.AddOrUpdate(sku, 1, static (_, g) => g + 1);
        _entries.TryRemove(sku, out _);
    }

    private sealed record Entry(Product Product, long Generation, DateTimeOffset ExpiresAt);
}
