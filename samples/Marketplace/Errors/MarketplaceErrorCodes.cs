namespace Marketplace.Errors;

/// <summary>
/// Stable error codes the sample adds to the engine's (<c>core.*</c>, <c>inventory.*</c>). Every problem response
/// carries one as its <c>code</c> extension: clients switch on it, never on the human-readable detail.
/// </summary>
public static class MarketplaceErrorCodes
{
    /// <summary>No product has the SKU in the path.</summary>
    public const string ProductNotFound = "marketplace.product_not_found";

    /// <summary>A request body names a SKU that is not in the catalog.</summary>
    public const string UnknownProduct = "marketplace.unknown_product";

    /// <summary>A product with this SKU is already listed (by this or another seller).</summary>
    public const string SkuTaken = "marketplace.sku_taken";

    /// <summary>The product belongs to another seller.</summary>
    public const string NotProductOwner = "marketplace.not_product_owner";

    /// <summary>A product's title, description or price is missing or out of range.</summary>
    public const string InvalidProduct = "marketplace.invalid_product";

    /// <summary>A state-changing request came without the <c>Idempotency-Key</c> header.</summary>
    public const string IdempotencyKeyRequired = "marketplace.idempotency_key_required";

    /// <summary>The request could not be read: malformed JSON, a wrong type, a bad query parameter.</summary>
    public const string InvalidRequest = "marketplace.invalid_request";

    /// <summary>No (valid) identity was presented.</summary>
    public const string Unauthenticated = "marketplace.unauthenticated";

    /// <summary>The identity is valid but its role may not use this endpoint.</summary>
    public const string Forbidden = "marketplace.forbidden";
}
