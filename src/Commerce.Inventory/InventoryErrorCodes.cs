namespace Commerce.Inventory;

/// <summary>Stable error codes of the inventory engine. Switch on these, never on messages.</summary>
public static class InventoryErrorCodes
{
    /// <summary>Not enough available stock for at least one line; nothing was reserved. A result, not an exception.</summary>
    public const string InsufficientStock = "inventory.insufficient_stock";

    /// <summary>The SKU has no stock record at the location (it was never received there).</summary>
    public const string UnknownSku = "inventory.unknown_sku";

    /// <summary>A quantity is zero, negative, or above the configured maximum.</summary>
    public const string InvalidQuantity = "inventory.invalid_quantity";

    /// <summary>A reservation has no lines.</summary>
    public const string EmptyReservation = "inventory.empty_reservation";

    /// <summary>A reservation has more lines than the configured maximum.</summary>
    public const string TooManyLines = "inventory.too_many_lines";

    /// <summary>Two lines of one reservation name the same SKU at the same location.</summary>
    public const string DuplicateLine = "inventory.duplicate_line";

    /// <summary>A time-to-live is zero, negative, or above the configured maximum.</summary>
    public const string InvalidTtl = "inventory.invalid_ttl";

    /// <summary>A reservation id or idempotency key was reused with a different request.</summary>
    public const string IdempotencyKeyReused = "inventory.idempotency_key_reused";

    /// <summary>No reservation has this id.</summary>
    public const string ReservationNotFound = "inventory.reservation_not_found";

    /// <summary>The reservation's deadline has passed; its stock is (or is about to be) returned. A result.</summary>
    public const string ReservationExpired = "inventory.reservation_expired";

    /// <summary>The reservation was already committed, released or expired, so the operation cannot apply. A result.</summary>
    public const string ReservationNotActive = "inventory.reservation_not_active";

    /// <summary>A stock adjustment is zero, would take on-hand below zero, or would strand live reservations.</summary>
    public const string InvalidAdjustment = "inventory.invalid_adjustment";

    /// <summary>A reason is empty or too long.</summary>
    public const string InvalidReason = "inventory.invalid_reason";
}
