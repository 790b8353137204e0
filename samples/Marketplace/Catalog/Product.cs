using Commerce;
using Marketplace.Errors;

namespace Marketplace.Catalog;

/// <summary>A listed product. Its SKU is also its key in the inventory engine, which knows nothing else about it.</summary>
public sealed record Product(Sku Sku, SellerId Seller, string Title, string Description, Money Price)
{
    /// <summary>The longest title accepted.</summary>
    public const int MaxTitleLength = 120;

    /// <summary>The longest description accepted.</summary>
    public const int MaxDescriptionLength = 2_000;

    /// <summary>Creates a product from client input, checking every field.</summary>
    /// <exception cref="CommerceValidationException"><c>marketplace.invalid_product</c>, or a <c>core.*</c> code for the SKU or price.</exception>
    public static Product Create(Sku sku, SellerId seller, string? title, string? description, PriceInput? price)
    {
        var trimmedTitle = title?.Trim();
        if (string.IsNullOrEmpty(trimmedTitle) || trimmedTitle.Length > MaxTitleLength)
        {
            throw Invalid($"A title of 1 to {MaxTitleLength} characters is required.", "title");
        }

        var trimmedDescription = description?.Trim() ?? string.Empty;
        if (trimmedDescription.Length > MaxDescriptionLength)
        {
            throw Invalid($"A description may have at most {MaxDescriptionLength} characters.", "description");
        }

        if (price is not { Amount: { } amount, Currency: { } currency })
        {
            throw Invalid("A price with an amount and an ISO 4217 currency is required.", "price");
        }

        // Money refuses amounts finer than the currency's minor unit (12.345 USD) rather than rounding them.
        var money = Money.FromDecimal(amount, Currency.FromCode(currency));
        if (money.MinorUnits <= 0)
        {
            throw Invalid("A price must be above zero.", "price");
        }

        return new Product(sku, seller, trimmedTitle, trimmedDescription, money);
    }

    /// <summary>Whether every search term occurs in the SKU, the title or the description (ignoring case).</summary>
    public bool Matches(IReadOnlyList<string> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        foreach (var term in terms)
        {
            if (!Sku.Value.Contains(term, StringComparison.OrdinalIgnoreCase)
                && !Title.Contains(term, StringComparison.OrdinalIgnoreCase)
                && !Description.Contains(term, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static CommerceValidationException Invalid(string message, string target) =>
        new(MarketplaceErrorCodes.InvalidProduct, message, target);
}
