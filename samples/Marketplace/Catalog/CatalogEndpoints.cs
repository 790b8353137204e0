using Commerce;
using Commerce.Inventory;
using Marketplace.Errors;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Catalog;

/// <summary>A product as buyers see it, with the units they can still put in a cart.</summary>
public sealed record ProductView(string Sku, string Title, string Description, MoneyView Price, string Seller, long Available);

/// <summary>One page of results.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Offset, int Limit);

/// <summary>The public catalog: browse and search, no sign-in needed.</summary>
public static class CatalogEndpoints
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 100;
    private const int MaxQueryLength = 200;

    /// <summary>Maps <c>/catalog</c>.</summary>
    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        var catalog = app.MapGroup("/catalog").WithTags("Catalog").AllowAnonymous();
        catalog.MapGet("/products", SearchAsync);
        catalog.MapGet("/products/{sku}", GetAsync);
        return app;
    }

    /// <summary>GET /catalog/products?q=&amp;seller=&amp;offset=&amp;limit=</summary>
    private static async Task<Ok<Page<ProductView>>> SearchAsync(
        ProductCatalog products, InventoryService inventory, string? q, string? seller, int? offset, int? limit, CancellationToken cancellationToken)
    {
        var terms = ParseTerms(q);
        var page = new PageRequest(offset ?? 0, limit ?? DefaultLimit);
        if (page.Offset < 0 || page.Limit is < 1 or > MaxLimit)
        {
            throw InvalidRequest($"offset must be 0 or more and limit between 1 and {MaxLimit}.", page.Offset < 0 ? "offset" : "limit");
        }

        var matches = products.Search(terms, seller is null ? null : new SellerId(seller));
        var items = new List<ProductView>();
        foreach (var product in matches.Skip(page.Offset).Take(page.Limit))
        {
            // One stock read per product on the page: the engine has no multi-SKU read yet, hence the page limit.
            items.Add(await ToViewAsync(product, inventory, cancellationToken));
        }

        return TypedResults.Ok(new Page<ProductView>(items, matches.Count, page.Offset, page.Limit));
    }

    /// <summary>GET /catalog/products/{sku}</summary>
    private static async Task<Ok<ProductView>> GetAsync(string sku, ProductCatalog products, InventoryService inventory, CancellationToken cancellationToken)
    {
        var id = new Sku(sku);
        var product = products.Find(id) ?? throw ProductCatalog.NotFound(id);
        return TypedResults.Ok(await ToViewAsync(product, inventory, cancellationToken));
    }

    private static async Task<ProductView> ToViewAsync(Product product, InventoryService inventory, CancellationToken cancellationToken)
    {
        var stock = await inventory.GetStockAsync(product.Sku, cancellationToken: cancellationToken);

        // Reservable counts any backorder allowance; a product that never received stock has no record: none.
        var available = Math.Max(0, stock?.Reservable ?? 0);
        return new ProductView(product.Sku.Value, product.Title, product.Description, MoneyView.From(product.Price), product.Seller.Value, available);
    }

    private static string[] ParseTerms(string? q)
    {
        if (q is { Length: > MaxQueryLength })
        {
            throw InvalidRequest($"A search may have at most {MaxQueryLength} characters.", "q");
        }

        return q?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) ?? [];
    }

    private static CommerceValidationException InvalidRequest(string message, string target) =>
        new(MarketplaceErrorCodes.InvalidRequest, message, target);

    private readonly record struct PageRequest(int Offset, int Limit);
}
