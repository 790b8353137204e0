using Commerce;
using Commerce.Checkout;
using Marketplace.Catalog;

namespace Marketplace.Checkout;

/// <summary>
/// The checkout engine's view of the catalog: the seller and the current price of a SKU, from the product read cache
/// (a change made through this host invalidates it at once, so checkout never charges a price older than the last
/// update). A product listed in another currency is unknown in this one.
/// </summary>
public sealed class MarketplacePriceCatalog(ProductCache products) : IPriceCatalog
{
    /// <inheritdoc />
    public async ValueTask<CatalogItem?> GetAsync(Sku sku, Currency currency, CancellationToken cancellationToken) =>
        await products.GetAsync(sku, cancellationToken) is { } product && product.Price.Currency == currency
            ? new CatalogItem(product.Sku, product.Seller, product.Price)
            : null;
}
