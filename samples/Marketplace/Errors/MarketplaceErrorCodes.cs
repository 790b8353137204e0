namespace Marketplace.Errors;

/// <summary>
/// Stable error codes the sample adds to the engine's (<c>core.*</c>, <c>inventory.*</c>, <c>ordering.*</c>,
/// <c>payments.*</c>, <c>checkout.*</c>). Every problem response carries one as its <c>code</c> extension: clients
/// switch on it, never on the human-readable detail.
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

    /// <summary>A product field is missing or out of range.</summary>
    public const string InvalidProduct = "marketplace.invalid_product";

    /// <summary>No order with this id is visible to the caller (it does not exist, or it is someone else's).</summary>
    public const string OrderNotFound = "marketplace.order_not_found";

    /// <summary>A state-changing request came without the <c>Idempotency-Key</c> header.</summary>
    public const string IdempotencyKeyRequired = "marketplace.idempotency_key_required";

    /// <summary>The request could not be read: malformed JSON, a wrong type, an unknown field, an absurd number.</summary>
    public const string InvalidRequest = "marketplace.invalid_request";

    /// <summary>The request body is over the size limit.</summary>
    public const string BodyTooLarge = "marketplace.body_too_large";

    /// <summary>No (valid) bearer token was presented.</summary>
    public const string Unauthenticated = "marketplace.unauthenticated";

    /// <summary>The token is valid but its role may not use this endpoint.</summary>
    public const string Forbidden = "marketplace.forbidden";

    /// <summary>No such route.</summary>
    public const string NotFound = "marketplace.not_found";

    /// <summary>The route exists but not with this HTTP method.</summary>
    public const string MethodNotAllowed = "marketplace.method_not_allowed";

    /// <summary>The body is not JSON (wrong or missing Content-Type).</summary>
    public const string UnsupportedMediaType = "marketplace.unsupported_media_type";

    /// <summary>The host is shedding load; retry after the <c>Retry-After</c> header.</summary>
    public const string Busy = "marketplace.busy";

    /// <summary>An unexpected failure; the log has the details.</summary>
    public const string Internal = "marketplace.internal_error";
}
