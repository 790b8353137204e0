using System.Collections.Frozen;
using Commerce;
using Commerce.Inventory;

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
        // Taking more stock out than is on hand (or than live reservations leave) clashes with the current state.
        [InventoryErrorCodes.InvalidAdjustment] = StatusCodes.Status409Conflict,

        [MarketplaceErrorCodes.ProductNotFound] = StatusCodes.Status404NotFound,
        [MarketplaceErrorCodes.UnknownProduct] = StatusCodes.Status400BadRequest,
        [MarketplaceErrorCodes.SkuTaken] = StatusCodes.Status409Conflict,
        [MarketplaceErrorCodes.NotProductOwner] = StatusCodes.Status403Forbidden,
        [MarketplaceErrorCodes.InvalidProduct] = StatusCodes.Status400BadRequest,
        [MarketplaceErrorCodes.IdempotencyKeyRequired] = StatusCodes.Status400BadRequest,
        [MarketplaceErrorCodes.InvalidRequest] = StatusCodes.Status400BadRequest,
        [MarketplaceErrorCodes.Unauthenticated] = StatusCodes.Status401Unauthorized,
        [MarketplaceErrorCodes.Forbidden] = StatusCodes.Status403Forbidden,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// The status for an error. Unmapped codes fall back to 400 for validation errors and to 500 for anything else:
    /// an unexpected non-validation error means a broken invariant, not a bad request.
    /// </summary>
    public static int For(string code, bool isValidation) =>
        ByCode.TryGetValue(code, out var status) ? status
        : isValidation ? StatusCodes.Status400BadRequest
        : StatusCodes.Status500InternalServerError;
}
