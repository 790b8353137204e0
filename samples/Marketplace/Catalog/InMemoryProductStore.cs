using Commerce;

namespace Marketplace.Catalog;

/// <summary>
/// The embedded catalog: products in a dictionary and an inverted index from each word to the SKUs whose text holds
/// it. A query word matches an indexed word it is a prefix of ("mug" finds "mugs"), every query word must match
/// (AND), and a hit in the title or SKU ranks above one in the description. One lock guards both structures: writes
/// are rare and short, and a search must never see a product without its index entries.
/// </summary>
public sealed class InMemoryProductStore : IProductStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Sku, Product> _products = [];
    private readonly Dictionary<string, HashSet<Sku>> _index = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _words = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(Product product, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(product);
        lock (_lock)
        {
            if (!_products.TryAdd(product.Sku, product))
            {
                return new(false);
            }

            Index(product, add: true);
            return new(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<Product?> GetAsync(Sku sku, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return new(_products.GetValueOrDefault(sku));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<Sku, Product>> GetManyAsync(IReadOnlyCollection<Sku> skus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(skus);
        var found = new Dictionary<Sku, Product>(skus.Count);
        lock (_lock)
        {
            foreach (var sku in skus)
            {
                if (_products.TryGetValue(sku, out var product))
                {
                    found[sku] = product;
                }
            }
        }

        return new(found);
    }

    /// <inheritdoc />
    public ValueTask<bool> UpdateAsync(Product product, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(product);
        lock (_lock)
        {
            if (!_products.TryGetValue(product.Sku, out var current) || current.Seller != product.Seller)
            {
                return new(false);
            }

            Index(current, add: false);
            _products[product.Sku] = product;
            Index(product, add: true);
            return new(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<ProductMatches> SearchAsync(ProductQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var words = SearchText.Words(query.Text).Distinct().ToList();
        List<(Product Product, int Rank)> matches;
        lock (_lock)
        {
            IEnumerable<Product> candidates = words.Count == 0 ? _products.Values : Candidates(words);
            matches = candidates
                .Where(p => Filter(p, query))
                .Select(p => (p, words.Count == 0 ? 0 : Rank(p, words)))
                .ToList();
        }

        IEnumerable<(Product Product, int Rank)> ordered = words.Count == 0
            ? matches.OrderBy(static m => m.Product.Title, StringComparer.OrdinalIgnoreCase).ThenBy(static m => m.Product.Sku)
            : matches.OrderByDescending(static m => m.Rank).ThenBy(static m => m.Product.Sku);
        var page = ordered.Skip(query.Offset).Take(query.Limit).Select(static m => m.Product).ToList();
        return new(new ProductMatches(page, matches.Count));
    }

    private static bool Filter(Product product, ProductQuery query) =>
        (query.Category is null || product.Category == query.Category)
        && (query.MinPriceMinor is not { } min || product.Price.MinorUnits >= min)
        && (query.MaxPriceMinor is not { } max || product.Price.MinorUnits <= max)
        && (query.Seller is not { } seller || product.Seller == seller);

    /// <summary>SKUs holding, for every query word, some indexed word that starts with it.</summary>
    private IEnumerable<Product> Candidates(List<string> words)
    {
        HashSet<Sku>? result = null;
        foreach (var word in words)
        {
            var hits = new HashSet<Sku>();

            // Words are kept sorted, so those starting with a prefix are one range: found in O(log n), not by a scan.
            foreach (var indexed in _words.GetViewBetween(word, word + char.MaxValue))
            {
                hits.UnionWith(_index[indexed]);
            }

            if (result is null)
            {
                result = hits;
            }
            else
            {
                result.IntersectWith(hits);
            }

            if (result.Count == 0)
            {
                return [];
            }
        }

        return result!.Select(sku => _products[sku]);
    }

    private static int Rank(Product product, List<string> words)
    {
        var strong = SearchText.Words(product.Title).Concat(SearchText.Words(product.Sku.Value)).ToHashSet(StringComparer.Ordinal);
        var rank = 0;
        foreach (var word in words)
        {
            rank += strong.Any(w => w.StartsWith(word, StringComparison.Ordinal)) ? 2 : 1;
        }

        return rank;
    }

    private void Index(Product product, bool add)
    {
        foreach (var word in SearchText.Words(product).Distinct())
        {
            if (add)
            {
                if (!_index.TryGetValue(word, out var skus))
                {
                    _index[word] = skus = [];
                    _words.Add(word);
                }

                skus.Add(product.Sku);
            }
            else if (_index.TryGetValue(word, out var skus) && skus.Remove(product.Sku) && skus.Count == 0)
            {
                _index.Remove(word);
                _words.Remove(word);
            }
        }
    }
}

/// <summary>How text is split into searchable words: lower-case runs of letters and digits.</summary>
public static class SearchText
{
    /// <summary>The words of a text.</summary>
    public static IEnumerable<string> Words(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            yield break;
        }

        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWordChar = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                yield return text[start..i].ToLowerInvariant();
                start = -1;
            }
        }
    }

    /// <summary>Every searchable word of a product.</summary>
    public static IEnumerable<string> Words(Product product)
    {
        ArgumentNullException.ThrowIfNull(product);
        return Words(product.Sku.Value)
            .Concat(Words(product.Title))
            .Concat(Words(product.Description))
            .Concat(Words(product.Category))
            .Concat(product.Attributes.Values.SelectMany(Words));
    }
}
