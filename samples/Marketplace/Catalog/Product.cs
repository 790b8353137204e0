using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Commerce;
using Marketplace.Errors;

namespace Marketplace.Catalog;

/// <summary>
/// A listed product. Its SKU is also its key in the inventory engine, which knows nothing else about it; the price is
/// in integer minor units of its currency, as everywhere in the engine.
/// </summary>
public sealed record Product(
    Sku Sku,
    SellerId Seller,
    string Title,
    string Description,
    Money Price,
    string Category,
    IReadOnlyDictionary<string, string> Attributes,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Whether two products list the same thing (every field but the time of the change).</summary>
    public bool SameListing(Product other) =>
        other is not null
        && Sku == other.Sku && Seller == other.Seller && Title == other.Title && Description == other.Description
        && Price == other.Price && Category == other.Category
        && Attributes.Count == other.Attributes.Count
        && Attributes.All(a => other.Attributes.TryGetValue(a.Key, out var v) && v == a.Value);
}

/// <summary>A product as a seller sends it, field by field, before validation.</summary>
public sealed record ProductFields(
    string? Title, string? Description, long? PriceMinor, string? Currency, string? Category, Dictionary<string, string>? Attributes);

/// <summary>The rules a product must follow; every refusal is <c>marketplace.invalid_product</c> naming the field.</summary>
public static partial class ProductRules
{
    /// <summary>The longest title.</summary>
    public const int MaxTitleLength = 120;

    /// <summary>The longest description.</summary>
    public const int MaxDescriptionLength = 2_000;

    /// <summary>The highest price in minor units (10 million in a two-decimal currency): anything above is a typo.</summary>
    public const long MaxPriceMinor = 1_000_000_000;

    /// <summary>The most attributes a product may have.</summary>
    public const int MaxAttributes = 20;

    /// <summary>The most units a seller may put on hand for one SKU through the API.</summary>
    public const long MaxStock = 10_000_000;

    /// <summary>Validates the fields and builds the product.</summary>
    /// <exception cref="CommerceValidationException"><c>marketplace.invalid_product</c>, or a <c>core.*</c> code for the currency.</exception>
    public static Product Create(Sku sku, SellerId seller, ProductFields fields, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var title = fields.Title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > MaxTitleLength)
        {
            throw Invalid($"A title of 1 to {MaxTitleLength} characters is required.", "title");
        }

        var description = fields.Description?.Trim() ?? string.Empty;
        if (description.Length > MaxDescriptionLength)
        {
            throw Invalid($"A description may have at most {MaxDescriptionLength} characters.", "description");
        }

        if (fields.PriceMinor is not { } priceMinor || priceMinor is <= 0 or > MaxPriceMinor)
        {
            throw Invalid($"priceMinor (the price in minor units, e.g. cents) must be between 1 and {MaxPriceMinor}.", "priceMinor");
        }

        if (string.IsNullOrWhiteSpace(fields.Currency))
        {
            throw Invalid("currency (an ISO 4217 code such as USD) is required.", "currency");
        }

        var price = Money.FromMinorUnits(priceMinor, fields.Currency.Trim().ToUpperInvariant());
        var category = fields.Category?.Trim().ToLowerInvariant();
        if (category is null || !CategoryPattern().IsMatch(category))
        {
            throw Invalid("category must be 1 to 40 lower-case letters, digits or '-'.", "category");
        }

        var attributes = fields.Attributes ?? [];
        if (attributes.Count > MaxAttributes)
        {
            throw Invalid($"A product may have at most {MaxAttributes} attributes.", "attributes");
        }

        foreach (var (key, value) in attributes)
        {
            if (!AttributeKeyPattern().IsMatch(key ?? string.Empty) || value is null || value.Length > 200)
            {
                throw Invalid("Attribute names are 1 to 40 letters, digits, '-' or '_'; values are strings of at most 200 characters.", "attributes");
            }
        }

        return new Product(sku, seller, title, description, price, category,
            attributes.ToFrozenDictionary(StringComparer.Ordinal), now);
    }

    /// <summary>Checks a stock figure sent by a seller.</summary>
    public static long CheckStock(long? stock, string target) =>
        stock is { } value and >= 0 and <= MaxStock
            ? value
            : throw Invalid($"{target} must be between 0 and {MaxStock}.", target);

    /// <summary>Parses a SKU from a client, as <c>marketplace.invalid_product</c> rather than an identifier error when it is missing.</summary>
    public static Sku ParseSku(string? sku) =>
        string.IsNullOrWhiteSpace(sku) ? throw Invalid("sku is required.", "sku") : new Sku(sku);

    private static CommerceValidationException Invalid(string message, string target) =>
        new(MarketplaceErrorCodes.InvalidProduct, message, target);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex CategoryPattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,40}$", RegexOptions.CultureInvariant)]
    private static partial Regex AttributeKeyPattern();
}
