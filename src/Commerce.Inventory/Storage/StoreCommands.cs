namespace Commerce.Inventory.Storage;

/// <summary>A validated reservation request, as a store receives it.</summary>
/// <param name="Id">The reservation id.</param>
/// <param name="Lines">The lines in the caller's order, locations resolved, no duplicates, quantities in range.</param>
/// <param name="Fingerprint">A hash of the canonical request; a replay with another fingerprint is a reused id.</param>
/// <param name="Now">The current time.</param>
/// <param name="ExpiresAt">The deadline.</param>
public sealed record ReservationCommand(
    ReservationId Id,
    IReadOnlyList<ReservedLine> Lines,
    Guid Fingerprint,
    DateTimeOffset Now,
    DateTimeOffset ExpiresAt);

/// <summary>Whether a stock change is relative or absolute.</summary>
public enum StockChangeKind
{
    /// <summary>On-hand changes by <see cref="StockChange.Quantity"/>.</summary>
    Adjust = 1,

    /// <summary>On-hand becomes <see cref="StockChange.Quantity"/>.</summary>
    Sync = 2,
}

/// <summary>A validated stock change, as a store receives it.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Location">The location.</param>
/// <param name="Kind">Relative or absolute.</param>
/// <param name="Quantity">The delta (adjust) or the new on-hand (sync).</param>
/// <param name="Reason">Why.</param>
/// <param name="IdempotencyKey">The caller's key.</param>
/// <param name="Fingerprint">A hash of the canonical request.</param>
/// <param name="Now">The current time.</param>
public sealed record StockChange(
    Sku Sku,
    LocationId Location,
    StockChangeKind Kind,
    long Quantity,
    string Reason,
    IdempotencyKey IdempotencyKey,
    Guid Fingerprint,
    DateTimeOffset Now);
