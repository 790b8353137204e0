namespace Commerce.Checkout;

/// <summary>What the catalog says about a SKU at checkout time.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Seller">The seller who sells and ships it (one fulfilment per seller in the order).</param>
/// <param name="UnitPrice">The current unit price, in the currency asked for.</param>
public sealed record CatalogItem(Sku Sku, SellerId Seller, Money UnitPrice)
{
    /// <summary>
    /// The most units of this SKU one buyer may buy (a flash sale's cap), counted across the buyer's checkouts in this
    /// process; null for no cap beyond <see cref="CheckoutOptions.MaxQuantityPerBuyerPerSku"/>.
    /// </summary>
    public long? MaxQuantityPerBuyer { get; init; }
}

/// <summary>
/// The host's catalog, asked for the current price and seller of each line. Called on every checkout: implementations
/// should answer from memory (a cache in front of the catalog database) and return a completed <see cref="ValueTask{T}"/>.
/// </summary>
public interface IPriceCatalog
{
    /// <summary>Returns the SKU's seller and current price in <paramref name="currency"/>, or null when the SKU is unknown or not sold in that currency.</summary>
    ValueTask<CatalogItem?> GetAsync(Sku sku, Currency currency, CancellationToken cancellationToken);
}
