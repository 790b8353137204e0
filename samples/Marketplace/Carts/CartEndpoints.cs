using System.Security.Claims;
using Commerce;
using Commerce.Inventory;
using Marketplace.Catalog;
using Marketplace.Errors;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Carts;

/// <summary>Sets how many units of a product the cart holds (0 removes the line).</summary>
public sealed record SetCartItemRequest(int? Quantity);

/// <summary>A cart line with the product's current price and live availability.</summary>
public sealed record CartLineView(string Sku, string Title, string SellerId, int Quantity, long UnitPriceMinor, string Currency, long LineTotalMinor, long Available);

/// <summary>A total per currency.</summary>
public sealed record CartTotal(string Currency, long AmountMinor);

/// <summary>The buyer's cart; <c>lines</c> are ready to send to <c>POST /api/checkout</c> as they are.</summary>
public sealed record CartView(IReadOnlyList<CartLineView> Lines, IReadOnlyList<CartTotal> Totals);

/// <summary>
/// The buyer's cart: only ever the signed-in buyer's own (there is no cart id to guess). It holds SKUs and quantities;
/// prices and availability are read live, so the cart always shows what checkout will charge. A product delisted
/// since it was added is left out of the view.
/// </summary>
public static class CartEndpoints
{
    /// <summary>The most lines a cart may have.</summary>
    public const int MaxLines = 50;

    /// <summary>The most units of one product in a cart.</summary>
    public const int MaxQuantity = 100;

    /// <summary>Maps <c>/api/cart</c>.</summary>
    public static IEndpointRouteBuilder MapCartEndpoints(this IEndpointRouteBuilder app)
    {
        var cart = app.MapGroup("/api/cart").WithTags("Cart").RequireAuthorization(MarketplacePolicies.Buyer);
        cart.MapGet("/", GetAsync).WithSummary("The buyer's cart with current prices and availability.");
        cart.MapPut("/items/{sku}", SetItemAsync).WithSummary("Sets the quantity of a product in the cart (0 removes it).");
        cart.MapDelete("/items/{sku}", RemoveItemAsync).WithSummary("Removes a product from the cart.");
        cart.MapDelete("/", ClearAsync).WithSummary("Empties the cart.");
        return app;
    }

    private static async Task<Ok<CartView>> GetAsync(ClaimsPrincipal user, ICartStore carts, ProductCache products, InventoryService inventory, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ViewAsync(user.GetBuyerId(), carts, products, inventory, cancellationToken));

    private static async Task<Ok<CartView>> SetItemAsync(
        string sku, SetCartItemRequest request, ClaimsPrincipal user, ICartStore carts, ProductCache products, InventoryService inventory,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var buyer = user.GetBuyerId();
        if (request.Quantity is not { } quantity || quantity is < 0 or > MaxQuantity)
        {
            throw new CommerceValidationException(MarketplaceErrorCodes.InvalidRequest, $"quantity must be between 0 and {MaxQuantity}.", "quantity");
        }

        var id = Sku.TryParse(sku, out var parsed) ? parsed : throw UnknownProduct(sku);
        if (quantity > 0 && await products.GetAsync(id, cancellationToken) is null)
        {
            throw UnknownProduct(sku);
        }

        if (!await carts.SetAsync(buyer, id, quantity, MaxLines, time.GetUtcNow(), cancellationToken))
        {
            throw new CommerceValidationException(MarketplaceErrorCodes.InvalidRequest, $"A cart holds at most {MaxLines} products.", "sku");
        }

        return TypedResults.Ok(await ViewAsync(buyer, carts, products, inventory, cancellationToken));
    }

    private static async Task<Ok<CartView>> RemoveItemAsync(
        string sku, ClaimsPrincipal user, ICartStore carts, ProductCache products, InventoryService inventory, TimeProvider time, CancellationToken cancellationToken)
    {
        var buyer = user.GetBuyerId();
        if (Sku.TryParse(sku, out var id))
        {
            await carts.SetAsync(buyer, id, 0, MaxLines, time.GetUtcNow(), cancellationToken);
        }

        return TypedResults.Ok(await ViewAsync(buyer, carts, products, inventory, cancellationToken));
    }

    private static async Task<NoContent> ClearAsync(ClaimsPrincipal user, ICartStore carts, CancellationToken cancellationToken)
    {
        await carts.ClearAsync(user.GetBuyerId(), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<CartView> ViewAsync(BuyerId buyer, ICartStore carts, ProductCache products, InventoryService inventory, CancellationToken cancellationToken)
    {
        var lines = new List<CartLineView>();
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var item in await carts.GetAsync(buyer, cancellationToken))
        {
            if (await products.GetAsync(item.Sku, cancellationToken) is not { } product)
            {
                continue;
            }

            var lineTotal = (product.Price * item.Quantity).MinorUnits;
            var available = await CatalogEndpoints.AvailableAsync(inventory, item.Sku, cancellationToken);
            lines.Add(new CartLineView(item.Sku.Value, product.Title, product.Seller.Value, item.Quantity, product.Price.MinorUnits,
                product.Price.Currency.Code, lineTotal, available));
            totals[product.Price.Currency.Code] = totals.GetValueOrDefault(product.Price.Currency.Code) + lineTotal;
        }

        return new CartView(lines, totals.Select(static t => new CartTotal(t.Key, t.Value)).ToList());
    }

    private static CommerceValidationException UnknownProduct(string sku) =>
        new(MarketplaceErrorCodes.UnknownProduct, $"'{sku}' is not in the catalog.", "sku");
}
