using Commerce;

namespace Marketplace.Catalog;

/// <summary>What to search for: every part is optional; paging is by offset.</summary>
/// <param name="Text">Free text, matched against the SKU, title, description, category and attribute values.</param>
public sealed record ProductQuery(string? Text, string? Category, long? MinPriceMinor, long? MaxPriceMinor, SellerId? Seller, int Offset, int Limit);

/// <summary>One page of matches and how many match in all.</summary>
public sealed record ProductMatches(IReadOnlyList<Product> Items, int Total);

/// <summary>
/// Where the catalog lives: in process memory with an inverted index (the embedded default), or in PostgreSQL with a
/// tsvector column under a GIN index. Both order full-text matches by relevance, then by SKU; without text, by title.
/// </summary>
public interface IProductStore
{
    /// <summary>Lists a new product; false when the SKU is taken (by anyone).</summary>
    ValueTask<bool> TryAddAsync(Product product, CancellationToken cancellationToken);

    /// <summary>The product, or null.</summary>
    ValueTask<Product?> GetAsync(Sku sku, CancellationToken cancellationToken);

    /// <summary>The products that exist among <paramref name="skus"/>, by SKU.</summary>
    ValueTask<IReadOnlyDictionary<Sku, Product>> GetManyAsync(IReadOnlyCollection<Sku> skus, CancellationToken cancellationToken);

    /// <summary>Replaces a product, if it still belongs to <see cref="Product.Seller"/>; false when it does not exist or is someone else's.</summary>
    ValueTask<bool> UpdateAsync(Product product, CancellationToken cancellationToken);

    /// <summary>Searches.</summary>
    ValueTask<ProductMatches> SearchAsync(ProductQuery query, CancellationToken cancellationToken);
}
