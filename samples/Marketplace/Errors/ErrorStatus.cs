using System.Collections.Frozen;
using Commerce;
using Commerce.Checkout;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;

namespace Marketplace.Errors;

/// <summary>The HTTP status of each stable error code.</summary>
/// <remarks>
/// Mapped by code rather than by exception type because the engine throws some conflicts as
/// <see cref="CommerceValidationException"/> (a reused idempotency key is "invalid input" to the engine, but to an
/// HTTP client it is a 409: the request was fine, it clashes with one already made).
/// </remarks>
public static class ErrorStatus
{
    private static readonly FrozenDictionary<string, int> ByCode = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        [CoreErrorCodes.InvalidIdentifier] = StatusCodes.Status400BadRequest,
        [CoreErrorCodes.UnknownCurrency] = StatusCodes.Status400BadRequest,
        [CoreErrorCodes.InvalidAmount] = StatusCodes.Status400BadRequest,
        [CoreErrorCodes.AmountOverflow] = StatusCodes.Status400BadRequest,
        [CoreErrorCodes.CurrencyMismatch] = StatusCodes.Status400BadRequest,

        [InventoryErrorCodes.InvalidQuantity] = StatusCodes.Status400BadRequest,
        [InventoryErrorCodes.EmptyReservation] = StatusCodes.Status400BadRequest,
        [InventoryErrorCodes.TooManyLines] = StatusCodes.Status400BadRequest,
        [InventoryErrorCodes.DuplicateLine] = StatusCodes.Status400BadRequest,
        [InventoryErrorCodes.InvalidTtl] = StatusCodes.Status400BadRequest,
        [InventoryErrorCodes.InvalidReason] = StatusCodes.Status400BadRequest,
        [InventoryErrorCodes.UnknownSku] = StatusCodes.Status400BadRequest,
        [InventoryErrorCodes.ReservationNotFound] = StatusCodes.Status404NotFound,
        [InventoryErrorCodes.IdempotencyKeyReused] = StatusCodes.Status409Conflict,
        [InventoryErrorCodes.InsufficientStock] = StatusCodes.Status409Conflict,
        [InventoryErrorCodes.ReservationExpired] = StatusCodes.Status409Conflict,
        [InventoryErrorCodes.ReservationNotActive] = StatusCodes.Status409Conflict,
        [InventoryErrorCodes.InvalidAdjustment] = StatusCodes.Status409Conflict,

        [OrderingErrorCodes.InvalidTransition] = StatusCodes.Status409Conflict,
        [OrderingErrorCodes.VersionConflict] = StatusCodes.Status409Conflict,
        [OrderingErrorCodes.OrderNotFound] = StatusCodes.Status404NotFound,
        [OrderingErrorCodes.OrderAlreadyExists] = StatusCodes.Status409Conflict,
        [OrderingErrorCodes.CommandIdReused] = StatusCodes.Status409Conflict,
        [OrderingErrorCodes.RefundExceedsTotal] = StatusCodes.Status409Conflict,
        [OrderingErrorCodes.UnknownFulfilment] = StatusCodes.Status404NotFound,

        [PaymentErrorCodes.IdempotencyKeyReused] = StatusCodes.Status409Conflict,
        [PaymentErrorCodes.RequestInProgress] = StatusCodes.Status409Conflict,
        [PaymentErrorCodes.PaymentBusy] = StatusCodes.Status409Conflict,
        [PaymentErrorCodes.UnknownPayment] = StatusCodes.Status404NotFound,
        [PaymentErrorCodes.InvalidTransition] = StatusCodes.Status409Conflict,
        [PaymentErrorCodes.CaptureExceedsAuthorized] = StatusCodes.Status409Conflict,
        [PaymentErrorCodes.RefundExceedsCaptured] = StatusCodes.Status409Conflict,
        [PaymentErrorCodes.NoProvider] = StatusCodes.Status503ServiceUnavailable,
        [PaymentErrorCodes.UnknownProvider] = StatusCodes.Status404NotFound,
        [PaymentErrorCodes.WebhookSignatureInvalid] = StatusCodes.Status400BadRequest,
        [PaymentErrorCodes.WebhookMalformed] = StatusCodes.Status400BadRequest,
        [PaymentErrorCodes.WebhookTooLarge] = StatusCodes.Status413PayloadTooLarge,

        [CheckoutErrorCodes.InvalidRequest] = StatusCodes.Status400BadRequest,
        [CheckoutErrorCodes.MissingIdempotencyKey] = StatusCodes.Status400BadRequest,
        [CheckoutErrorCodes.EmptyCart] = StatusCodes.Status400BadRequest,
        [CheckoutErrorCodes.TooManyLines] = StatusCodes.Status400BadRequest,
        [CheckoutErrorCodes.DuplicateLine] = StatusCodes.Status400BadRequest,
        [CheckoutErrorCodes.InvalidQuantity] = StatusCodes.Status400BadRequest,
        [CheckoutErrorCodes.CurrencyMismatch] = StatusCodes.Status400BadRequest,
        [CheckoutErrorCodes.UnknownSku] = StatusCodes.Status400BadRequest,
        [CheckoutErrorCodes.PriceChanged] = StatusCodes.Status409Conflict,
        [CheckoutErrorCodes.SoldOut] = StatusCodes.Status409Conflict,
        [CheckoutErrorCodes.QuantityCapExceeded] = StatusCodes.Status409Conflict,
        [CheckoutErrorCodes.IdempotencyKeyReused] = StatusCodes.Status409Conflict,
        [CheckoutErrorCodes.ReservationExpired] = StatusCodes.Status409Conflict,
        [CheckoutErrorCodes.InProgress] = StatusCodes.Status409Conflict,
        [CheckoutErrorCodes.OrderUnavailable] = StatusCodes.Status409Conflict,
        [CheckoutErrorCodes.Busy] = StatusCodes.Status429TooManyRequests,
        [CheckoutErrorCodes.Declined] = StatusCodes.Status402PaymentRequired,
        [CheckoutErrorCodes.PaymentFailed] = StatusCodes.Status502BadGateway,
        [CheckoutErrorCodes.PaymentPending] = StatusCodes.Status202Accepted,
        [CheckoutErrorCodes.NotFound] = StatusCodes.Status404NotFound,

        [MarketplaceErrorCodes.ProductNotFound] = StatusCodes.Status404NotFound,
        [MarketplaceErrorCodes.OrderNotFound] = StatusCodes.Status404NotFound,
        [MarketplaceErrorCodes.UnknownProduct] = StatusCodes.Status400BadRequest,
        [MarketplaceErrorCodes.SkuTaken] = StatusCodes.Status409Conflict,
        [MarketplaceErrorCodes.NotProductOwner] = StatusCodes.Status403Forbidden,
        [MarketplaceErrorCodes.InvalidProduct] = StatusCodes.Status400BadRequest,
        [MarketplaceErrorCodes.IdempotencyKeyRequired] = StatusCodes.Status400BadRequest,
        [MarketplaceErrorCodes.InvalidRequest] = StatusCodes.Status400BadRequest,
        [MarketplaceErrorCodes.BodyTooLarge] = StatusCodes.Status413PayloadTooLarge,
        [MarketplaceErrorCodes.Unauthenticated] = StatusCodes.Status401Unauthorized,
        [MarketplaceErrorCodes.Forbidden] = StatusCodes.Status403Forbidden,
        [MarketplaceErrorCodes.NotFound] = StatusCodes.Status404NotFound,
        [MarketplaceErrorCodes.Busy] = StatusCodes.Status429TooManyRequests,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// The status for an error. Unmapped codes fall back to 400 for validation errors and to 500 for anything else:
    /// an unexpected non-validation error means a broken invariant, not a bad request.
    /// </summary>
    public static int For(string code, bool isValidation) =>
        ByCode.TryGetValue(code, out var status) ? status
        : isValidation ? StatusCodes.Status400BadRequest
        : StatusCodes.Status500InternalServerError;

    /// <summary>The code of a problem the framework produced without one (a bare 401, 404, 405, 413, 415 or 500).</summary>
    public static string CodeForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => MarketplaceErrorCodes.Unauthenticated,
        StatusCodes.Status403Forbidden => MarketplaceErrorCodes.Forbidden,
        StatusCodes.Status404NotFound => MarketplaceErrorCodes.NotFound,
        StatusCodes.Status405MethodNotAllowed => MarketplaceErrorCodes.MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => MarketplaceErrorCodes.BodyTooLarge,
        StatusCodes.Status415UnsupportedMediaType => MarketplaceErrorCodes.UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => MarketplaceErrorCodes.Busy,
        >= 500 => MarketplaceErrorCodes.Internal,
        _ => MarketplaceErrorCodes.InvalidRequest,
    };

    /// <summary>A clear default message for a bare status.</summary>
    public static string DetailForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "This endpoint needs a bearer token: POST /api/dev/tokens {\"userId\",\"role\"} and send 'Authorization: Bearer <token>'.",
        StatusCodes.Status403Forbidden => "Your role may not use this endpoint.",
        StatusCodes.Status404NotFound => "Nothing is here.",
        StatusCodes.Status405MethodNotAllowed => "This route does not accept this HTTP method.",
        StatusCodes.Status413PayloadTooLarge => "The request body is over the size limit.",
        StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON with 'Content-Type: application/json'.",
        >= 500 => "An unexpected error occurred; it has been logged.",
        _ => "The request is not valid.",
    };
}
