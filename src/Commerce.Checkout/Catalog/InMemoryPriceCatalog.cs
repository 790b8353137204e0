using System.Collections.Concurrent;

namespace Commerce.Checkout;

/// <summary>An <see cref="IPriceCatalog"/> held in memory, for tests, demos, benchmarks and small hosts.</summary>
public sealed class InMemoryPriceCatalog : IPriceCatalog
{
    private readonly ConcurrentDictionary<(Sku, Currency), CatalogItem> _items = new();

    /// <summary>Sets (or replaces) a SKU's seller and price in the price's currency.</summary>
    public void Set(CatalogItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        _items[(item.Sku, item.UnitPrice.Currency)] = item;
    }

    /// <summary>Sets a SKU's seller and price.</summary>
    public void Set(Sku sku, SellerId seller, Money unitPrice) => Set(new CatalogItem(sku, seller, unitPrice));

    /// <summary>Removes a SKU in a currency; returns whether it was there.</summary>
    public bool Remove(Sku sku, Currency currency) => _items.TryRemove((sku, currency), out _);

    /// <inheritdoc />
    public ValueTask<CatalogItem?> GetAsync(Sku sku, Currency currency, CancellationToken cancellationToken) =>
        new(_items.TryGetValue((sku, currency), out var item) ? item : null);
}
