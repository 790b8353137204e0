using System.Security.Claims;
using Commerce;
using Commerce.Inventory;
using Marketplace.Catalog;
using Marketplace.Idempotency;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Sellers;

/// <summary>Lists a new product.</summary>
public sealed record CreateProductRequest(string? Sku, string? Title, string? Description, PriceInput? Price);

/// <summary>Replaces a product's title, description and price (the SKU and the seller never change).</summary>
public sealed record UpdateProductRequest(string? Title, string? Description, PriceInput? Price);

/// <summary>A relative stock change: positive when a delivery is received, negative for damage or loss.</summary>
public sealed record AdjustStockRequest(long Quantity, string? Reason);

/// <summary>The stock of a SKU at a location.</summary>
public sealed record StockView(string Sku, string Location, long OnHand, long Reserved, long Available, long BackorderLimit)
{
    /// <summary>The view of a level, or zeros when the SKU has never had stock there.</summary>
    public static StockView From(Sku sku, string location, StockLevel? level) => level is null
        ? new StockView(sku.Value, location, 0, 0, 0, 0)
        : new StockView(sku.Value, level.Location.Value, level.OnHand, level.Reserved, level.Available, level.BackorderLimit);
}

/// <summary>A seller's own product, with its stock.</summary>
public sealed record SellerProductView(string Sku, string Title, string Description, MoneyView Price, StockView Stock);

/// <summary>
/// The seller's back office: their products and their stock. Every endpoint acts only on the signed-in seller's own
/// products; another seller's SKU answers 403 (<c>marketplace.not_product_owner</c>).
/// </summary>
public static class SellerEndpoints
{
    /// <summary>Maps <c>/seller</c>.</summary>
    public static IEndpointRouteBuilder MapSellerEndpoints(this IEndpointRouteBuilder app)
    {
        var seller = app.MapGroup("/seller").WithTags("Seller").RequireAuthorization(MarketplacePolicies.Seller);
        seller.MapGet("/products", ListAsync);
        seller.MapPost("/products", CreateAsync);
        seller.MapGet("/products/{sku}", GetAsync);
        seller.MapPut("/products/{sku}", UpdateAsync);
        seller.MapGet("/products/{sku}/stock", GetStockAsync);
        seller.MapPost("/products/{sku}/stock/adjustments", AdjustStockAsync);
        return app;
    }

    /// <summary>GET /seller/products</summary>
    private static async Task<Ok<IReadOnlyList<SellerProductView>>> ListAsync(
        ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, CancellationToken cancellationToken)
    {
        var views = new List<SellerProductView>();
        foreach (var product in catalog.Search([], user.GetSellerId()))
        {
            views.Add(await ToViewAsync(product, inventory, cancellationToken));
        }

        return TypedResults.Ok<IReadOnlyList<SellerProductView>>(views);
    }

    /// <summary>POST /seller/products</summary>
    private static async Task<Created<SellerProductView>> CreateAsync(
        CreateProductRequest request, ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, CancellationToken cancellationToken)
    {
        var product = Product.Create(new Sku(request.Sku ?? string.Empty), user.GetSellerId(), request.Title, request.Description, request.Price);
        catalog.Add(product);
        return TypedResults.Created($"/seller/products/{product.Sku}", await ToViewAsync(product, inventory, cancellationToken));
    }

    /// <summary>GET /seller/products/{sku}</summary>
    private static async Task<Ok<SellerProductView>> GetAsync(
        string sku, ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, CancellationToken cancellationToken)
    {
        var product = catalog.GetOwned(new Sku(sku), user.GetSellerId());
        return TypedResults.Ok(await ToViewAsync(product, inventory, cancellationToken));
    }

    /// <summary>PUT /seller/products/{sku}</summary>
    private static async Task<Ok<SellerProductView>> UpdateAsync(
        string sku, UpdateProductRequest request, ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, CancellationToken cancellationToken)
    {
        var id = new Sku(sku);
        var seller = user.GetSellerId();

        // Ownership first, so that another seller learns "not yours" rather than which of their fields were invalid.
        catalog.GetOwned(id, seller);
        var replacement = Product.Create(id, seller, request.Title, request.Description, request.Price);
        var product = catalog.Update(id, seller, _ => replacement);
        return TypedResults.Ok(await ToViewAsync(product, inventory, cancellationToken));
    }

    /// <summary>GET /seller/products/{sku}/stock</summary>
    private static async Task<Ok<StockView>> GetStockAsync(
        string sku, ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, CancellationToken cancellationToken)
    {
        var product = catalog.GetOwned(new Sku(sku), user.GetSellerId());
        var level = await inventory.GetStockAsync(product.Sku, cancellationToken: cancellationToken);
        return TypedResults.Ok(StockView.From(product.Sku, inventory.Options.DefaultLocation, level));
    }

    /// <summary>POST /seller/products/{sku}/stock/adjustments (Idempotency-Key required)</summary>
    private static async Task<Ok<StockView>> AdjustStockAsync(
        string sku,
        AdjustStockRequest request,
        [FromHeader(Name = IdempotencyHeader.Name)] string? idempotencyKey,
        ClaimsPrincipal user,
        ProductCatalog catalog,
        InventoryService inventory,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var seller = user.GetSellerId();
        var key = IdempotencyHeader.Parse(idempotencyKey);
        var product = catalog.GetOwned(new Sku(sku), seller);
        var reason = string.IsNullOrWhiteSpace(request.Reason)
            ? request.Quantity >= 0 ? "received" : "written off"
            : request.Reason.Trim();

        // The engine validates the quantity and keeps on-hand from going below zero or below what is reserved.
        var result = await inventory.AdjustStockAsync(
            new StockAdjustment(product.Sku, request.Quantity, reason, ScopedIds.StockChange(seller, key)), cancellationToken);
        if (result.IsReplay)
        {
            IdempotencyHeader.MarkReplayed(response);
        }

        return TypedResults.Ok(StockView.From(product.Sku, inventory.Options.DefaultLocation, result.Stock));
    }

    private static async Task<SellerProductView> ToViewAsync(Product product, InventoryService inventory, CancellationToken cancellationToken)
    {
        var level = await inventory.GetStockAsync(product.Sku, cancellationToken: cancellationToken);
        return new SellerProductView(product.Sku.Value, product.Title, product.Description, MoneyView.From(product.Price),
            StockView.From(product.Sku, inventory.Options.DefaultLocation, level));
    }
}
