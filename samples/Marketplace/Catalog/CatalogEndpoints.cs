using System.Diagnostics;
using System.Security.Claims;
using Commerce;
using Commerce.Inventory;
using Marketplace.Diagnostics;
using Marketplace.Errors;
using Marketplace.Idempotency;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Catalog;

/// <summary>A product as everyone sees it, with the units buyers can still get (live from inventory).</summary>
public sealed record ProductView(
    string Sku, string SellerId, string Title, string Description, long PriceMinor, string Currency, string Category,
    IReadOnlyDictionary<string, string> Attributes, long Available);

/// <summary>One page of search results and how many match in all.</summary>
public sealed record ProductPage(IReadOnlyList<ProductView> Items, int Total, int Page, int PageSize);

/// <summary>Lists a new product (seller), with its opening stock.</summary>
public sealed record CreateProductRequest(
    string? Sku, string? Title, string? Description, long? PriceMinor, string? Currency, string? Category, long? Stock,
    Dictionary<string, string>? Attributes);

/// <summary>Replaces a product's fields (the SKU and the seller never change).</summary>
public sealed record UpdateProductRequest(
    string? Title, string? Description, long? PriceMinor, string? Currency, string? Category, Dictionary<string, string>? Attributes);

/// <summary>Sets the units on hand, as counted.</summary>
public sealed record SetStockRequest(long? OnHand);

/// <summary>The stock of a product.</summary>
public sealed record StockView(string Sku, long OnHand, long Reserved, long Available);

/// <summary>
/// The catalog: public search and reads, and the seller's own listing and stock. A seller acting on another
/// seller's product gets 403 <c>marketplace.not_product_owner</c>: the catalog is public, so there is nothing to hide
/// by answering 404.
/// </summary>
public static class CatalogEndpoints
{
    private const int DefaultPageSize = 20;
    private const int MaxPageSize = 100;
    private const int MaxPage = 10_000;
    private const int MaxQueryLength = 200;

    /// <summary>With an in-stock filter, at most this many matches are checked against live availability.</summary>
    private const int MaxInStockScan = 5_000;

    /// <summary>Maps <c>/api/products</c> and <c>/api/seller/products</c>.</summary>
    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        var products = app.MapGroup("/api/products").WithTags("Catalog");
        products.MapGet("/", SearchAsync).AllowAnonymous()
            .WithSummary("Searches the catalog: full text (q), category, price range in minor units, in stock, paging.");
        products.MapGet("/{sku}", GetAsync).AllowAnonymous().WithSummary("A product with its live availability.");
        products.MapPost("/", CreateAsync).RequireAuthorization(MarketplacePolicies.Seller).WithSummary("Lists a product (seller).");
        products.MapPut("/{sku}", UpdateAsync).RequireAuthorization(MarketplacePolicies.Seller).WithSummary("Changes the seller's own product.");
        products.MapPut("/{sku}/stock", SetStockAsync).RequireAuthorization(MarketplacePolicies.Seller).WithSummary("Sets the units on hand of the seller's own product.");
        products.MapGet("/{sku}/stock", GetStockAsync).RequireAuthorization(MarketplacePolicies.Seller).WithSummary("The stock of the seller's own product.");

        app.MapGet("/api/seller/products", ListOwnAsync).WithTags("Catalog").RequireAuthorization(MarketplacePolicies.Seller)
            .WithSummary("The seller's own products.");
        return app;
    }

    /// <summary>GET /api/products?q=&amp;category=&amp;minPriceMinor=&amp;maxPriceMinor=&amp;inStock=&amp;page=&amp;pageSize=</summary>
    private static async Task<Ok<ProductPage>> SearchAsync(
        IProductStore store, InventoryService inventory, MarketplaceTelemetry telemetry,
        string? q, string? category, long? minPriceMinor, long? maxPriceMinor, bool? inStock, int? page, int? pageSize,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = MarketplaceTelemetry.Source.StartActivity("marketplace.search");
        var query = BuildQuery(q, category, minPriceMinor, maxPriceMinor, page, pageSize, null, out var pageNumber, out var size);
        activity?.SetTag("marketplace.search.full_text", query.Text is not null);

        ProductPage result;
        if (inStock is null)
        {
            var matches = await store.SearchAsync(query, cancellationToken);
            result = new ProductPage(await ViewsAsync(matches.Items, inventory, cancellationToken), matches.Total, pageNumber, size);
        }
        else
        {
            // Availability lives in the inventory engine, not in the catalog, so the filter is applied to the matches
            // in order, reading live stock; bounded so that a broad query cannot read the whole catalog's stock.
            var candidates = await store.SearchAsync(query with { Offset = 0, Limit = MaxInStockScan }, cancellationToken);
            var kept = new List<ProductView>();
            foreach (var product in candidates.Items)
            {
                var view = await ViewAsync(product, inventory, cancellationToken);
                if (view.Available > 0 == inStock.Value)
                {
                    kept.Add(view);
                }
            }

            result = new ProductPage(kept.Skip(query.Offset).Take(query.Limit).ToList(), kept.Count, pageNumber, size);
        }

        telemetry.Search(Stopwatch.GetElapsedTime(started), query.Text is not null);
        return TypedResults.Ok(result);
    }

    /// <summary>GET /api/products/{sku}</summary>
    private static async Task<Ok<ProductView>> GetAsync(string sku, ProductCache cache, InventoryService inventory, CancellationToken cancellationToken)
    {
        var id = ParsePathSku(sku);
        var product = await cache.GetAsync(id, cancellationToken) ?? throw NotFound(id);
        return TypedResults.Ok(await ViewAsync(product, inventory, cancellationToken));
    }

    /// <summary>POST /api/products (seller)</summary>
    private static async Task<Created<ProductView>> CreateAsync(
        CreateProductRequest request, ClaimsPrincipal user, IProductStore store, ProductCache cache, InventoryService inventory,
        TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        var seller = user.GetSellerId();
        var sku = ProductRules.ParseSku(request.Sku);
        var product = ProductRules.Create(sku, seller, new ProductFields(request.Title, request.Description, request.PriceMinor, request.Currency, request.Category, request.Attributes), time.GetUtcNow());
        var stock = ProductRules.CheckStock(request.Stock ?? 0, "stock");

        if (!await store.TryAddAsync(product, cancellationToken))
        {
            // The same seller sending the same product again (a retry after a lost response, or after a crash
            // before the stock was set) finishes the job; anything else is a clash.
            var existing = await store.GetAsync(sku, cancellationToken);
            if (existing is null || !existing.SameListing(product))
            {
                throw new CommerceException(new CommerceError(MarketplaceErrorCodes.SkuTaken, $"A product with SKU '{sku}' is already listed.", "sku"));
            }

            product = existing;
            IdempotencyHeader.MarkReplayed(response);
        }

        cache.Invalidate(sku);

        // The opening stock is keyed by the SKU: a retry replays it, it is never counted twice.
        await inventory.SetOnHandAsync(
            new StockCount(sku, stock, "opening stock", ScopedIds.StockChange(seller, new IdempotencyKey($"opening:{stock}"), sku)), cancellationToken);
        return TypedResults.Created($"/api/products/{Uri.EscapeDataString(sku.Value)}", await ViewAsync(product, inventory, cancellationToken));
    }

    /// <summary>PUT /api/products/{sku} (the owning seller)</summary>
    private static async Task<Ok<ProductView>> UpdateAsync(
        string sku, UpdateProductRequest request, ClaimsPrincipal user, IProductStore store, ProductCache cache, InventoryService inventory,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var seller = user.GetSellerId();
        var id = ParsePathSku(sku);

        // Ownership first, so that another seller learns "not yours" rather than which of their fields were invalid.
        await GetOwnedAsync(store, id, seller, cancellationToken);
        var product = ProductRules.Create(id, seller, new ProductFields(request.Title, request.Description, request.PriceMinor, request.Currency, request.Category, request.Attributes), time.GetUtcNow());
        var updated = await store.UpdateAsync(product, cancellationToken);
        cache.Invalidate(id);
        if (!updated)
        {
            throw NotFound(id);
        }

        return TypedResults.Ok(await ViewAsync(product, inventory, cancellationToken));
    }

    /// <summary>PUT /api/products/{sku}/stock {"onHand"} (the owning seller); Idempotency-Key optional.</summary>
    private static async Task<Ok<StockView>> SetStockAsync(
        string sku, SetStockRequest request, [FromHeader(Name = IdempotencyHeader.Name)] string? idempotencyKey,
        ClaimsPrincipal user, IProductStore store, InventoryService inventory, HttpResponse response, CancellationToken cancellationToken)
    {
        var seller = user.GetSellerId();
        var product = await GetOwnedAsync(store, ParsePathSku(sku), seller, cancellationToken);
        var onHand = ProductRules.CheckStock(request.OnHand, "onHand");

        // Setting a count is idempotent by nature; the key makes a retried request a recorded replay, not a second
        // movement in the ledger.
        var key = string.IsNullOrEmpty(idempotencyKey) ? new IdempotencyKey(Guid.NewGuid().ToString("N")) : new IdempotencyKey(idempotencyKey);
        var result = await inventory.SetOnHandAsync(
            new StockCount(product.Sku, onHand, $"count by seller {seller}", ScopedIds.StockChange(seller, key, product.Sku)), cancellationToken);
        if (result.IsReplay)
        {
            IdempotencyHeader.MarkReplayed(response);
        }

        return TypedResults.Ok(ToStockView(product.Sku, result.Stock));
    }

    /// <summary>GET /api/products/{sku}/stock (the owning seller)</summary>
    private static async Task<Ok<StockView>> GetStockAsync(
        string sku, ClaimsPrincipal user, IProductStore store, InventoryService inventory, CancellationToken cancellationToken)
    {
        var product = await GetOwnedAsync(store, ParsePathSku(sku), user.GetSellerId(), cancellationToken);
        return TypedResults.Ok(ToStockView(product.Sku, await inventory.GetStockAsync(product.Sku, cancellationToken: cancellationToken)));
    }

    /// <summary>GET /api/seller/products?page=&amp;pageSize=</summary>
    private static async Task<Ok<ProductPage>> ListOwnAsync(
        ClaimsPrincipal user, IProductStore store, InventoryService inventory, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var query = BuildQuery(null, null, null, null, page, pageSize, user.GetSellerId(), out var pageNumber, out var size);
        var matches = await store.SearchAsync(query, cancellationToken);
        return TypedResults.Ok(new ProductPage(await ViewsAsync(matches.Items, inventory, cancellationToken), matches.Total, pageNumber, size));
    }

    /// <summary>The units buyers can still get: on hand minus reserved (plus any backorder allowance), never below 0.</summary>
    public static async ValueTask<long> AvailableAsync(InventoryService inventory, Sku sku, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var stock = await inventory.GetStockAsync(sku, cancellationToken: cancellationToken);
        return Math.Max(0, stock?.Reservable ?? 0);
    }

    /// <summary>The view of a product with its live availability.</summary>
    public static async ValueTask<ProductView> ViewAsync(Product product, InventoryService inventory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(product);
        var available = await AvailableAsync(inventory, product.Sku, cancellationToken);
        return new ProductView(product.Sku.Value, product.Seller.Value, product.Title, product.Description, product.Price.MinorUnits,
            product.Price.Currency.Code, product.Category, product.Attributes, available);
    }

    /// <summary>The "not found" error for a SKU.</summary>
    public static CommerceException NotFound(Sku sku) =>
        new(new CommerceError(MarketplaceErrorCodes.ProductNotFound, $"No product has SKU '{sku}'.", "sku"));

    private static async Task<List<ProductView>> ViewsAsync(IReadOnlyList<Product> products, InventoryService inventory, CancellationToken cancellationToken)
    {
        var views = new List<ProductView>(products.Count);
        foreach (var product in products)
        {
            views.Add(await ViewAsync(product, inventory, cancellationToken));
        }

        return views;
    }

    private static async ValueTask<Product> GetOwnedAsync(IProductStore store, Sku sku, SellerId seller, CancellationToken cancellationToken)
    {
        var product = await store.GetAsync(sku, cancellationToken) ?? throw NotFound(sku);
        return product.Seller == seller
            ? product
            : throw new CommerceException(new CommerceError(MarketplaceErrorCodes.NotProductOwner, $"Product '{sku}' belongs to another seller.", "sku"));
    }

    private static Sku ParsePathSku(string sku) =>
        Sku.TryParse(sku, out var id) ? id : throw new CommerceException(new CommerceError(MarketplaceErrorCodes.ProductNotFound, "No product has this SKU.", "sku"));

    private static StockView ToStockView(Sku sku, StockLevel? level) => level is null
        ? new StockView(sku.Value, 0, 0, 0)
        : new StockView(sku.Value, level.OnHand, level.Reserved, Math.Max(0, level.Reservable));

    private static ProductQuery BuildQuery(
        string? q, string? category, long? minPriceMinor, long? maxPriceMinor, int? page, int? pageSize, SellerId? seller,
        out int pageNumber, out int size)
    {
        if (q is { Length: > MaxQueryLength })
        {
            throw InvalidRequest($"q may have at most {MaxQueryLength} characters.", "q");
        }

        pageNumber = page ?? 1;
        size = pageSize ?? DefaultPageSize;
        if (pageNumber is < 1 or > MaxPage)
        {
            throw InvalidRequest($"page must be between 1 and {MaxPage}.", "page");
        }

        if (size is < 1 or > MaxPageSize)
        {
            throw InvalidRequest($"pageSize must be between 1 and {MaxPageSize}.", "pageSize");
        }

        if (minPriceMinor is < 0 or > ProductRules.MaxPriceMinor || maxPriceMinor is < 0 or > ProductRules.MaxPriceMinor)
        {
            throw InvalidRequest($"minPriceMinor and maxPriceMinor must be between 0 and {ProductRules.MaxPriceMinor}.", minPriceMinor is < 0 or > ProductRules.MaxPriceMinor ? "minPriceMinor" : "maxPriceMinor");
        }

        if (minPriceMinor > maxPriceMinor)
        {
            throw InvalidRequest("minPriceMinor must not be above maxPriceMinor.", "minPriceMinor");
        }

        // Text without a single letter or digit searches nothing in either store: treat it as no text.
        var text = SearchText.Words(q).Any() ? q!.Trim() : null;
        var normalizedCategory = string.IsNullOrWhiteSpace(category) ? null : category.Trim().ToLowerInvariant();
        return new ProductQuery(text, normalizedCategory, minPriceMinor, maxPriceMinor, seller, (pageNumber - 1) * size, size);
    }

    private static CommerceValidationException InvalidRequest(string message, string target) =>
        new(MarketplaceErrorCodes.InvalidRequest, message, target);
}
