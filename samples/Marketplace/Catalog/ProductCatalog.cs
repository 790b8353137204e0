using System.Collections.Concurrent;
using Commerce;
using Marketplace.Errors;

namespace Marketplace.Catalog;

/// <summary>
/// The sample's product catalog, in process memory. A real marketplace keeps it in its own database (or a search
/// index); the inventory engine deliberately knows only SKUs, so the two meet on <see cref="Sku"/> alone.
/// Products are immutable records swapped atomically, so readers never see a half-updated product.
/// </summary>
public sealed class ProductCatalog
{
    private readonly ConcurrentDictionary<Sku, Product> _products = new();

    /// <summary>The product with this SKU, or null.</summary>
    public Product? Find(Sku sku) => _products.GetValueOrDefault(sku);

    /// <summary>Lists a new product.</summary>
    /// <exception cref="CommerceException"><c>marketplace.sku_taken</c>: SKUs are unique across sellers, since the engine keys stock by SKU.</exception>
    public void Add(Product product)
    {
        ArgumentNullException.ThrowIfNull(product);
        if (!_products.TryAdd(product.Sku, product))
        {
            throw new CommerceException(new CommerceError(MarketplaceErrorCodes.SkuTaken, $"A product with SKU '{product.Sku}' is already listed.", "sku"));
        }
    }

    /// <summary>Returns the seller's own product.</summary>
    /// <exception cref="CommerceException"><c>marketplace.product_not_found</c>, <c>marketplace.not_product_owner</c>.</exception>
    public Product GetOwned(Sku sku, SellerId seller)
    {
        var product = Find(sku) ?? throw NotFound(sku);

        // The catalog is public, so hiding another seller's product behind a 404 would protect nothing: say 403.
        return product.Seller == seller
            ? product
            : throw new CommerceException(new CommerceError(MarketplaceErrorCodes.NotProductOwner, $"Product '{sku}' belongs to another seller.", "sku"));
    }

    /// <summary>Replaces the seller's own product, atomically (a concurrent update of the same product retries).</summary>
    /// <exception cref="CommerceException"><c>marketplace.product_not_found</c>, <c>marketplace.not_product_owner</c>.</exception>
    public Product Update(Sku sku, SellerId seller, Func<Product, Product> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        while (true)
        {
            var current = GetOwned(sku, seller);
            var updated = change(current) with { Sku = sku, Seller = seller };
            if (_products.TryUpdate(sku, updated, current))
            {
                return updated;
            }
        }
    }

    /// <summary>Products matching every term (all when there are none), optionally of one seller, ordered by title.</summary>
    public IReadOnlyList<Product> Search(IReadOnlyList<string> terms, SellerId? seller = null) =>
        _products.Values
            .Where(p => (seller is not { } s || p.Seller == s) && p.Matches(terms))
            .OrderBy(static p => p.Title, StringComparer.OrdinalIgnoreCase)
            .ThenBy(static p => p.Sku)
            .ToList();

    /// <summary>The "not found" error for a SKU.</summary>
    public static CommerceException NotFound(Sku sku) =>
        new(new CommerceError(MarketplaceErrorCodes.ProductNotFound, $"No product has SKU '{sku}'.", "sku"));
}
