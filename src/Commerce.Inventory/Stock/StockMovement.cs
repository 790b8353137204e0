namespace Commerce.Inventory;

/// <summary>What caused a stock movement.</summary>
public enum StockMovementKind
{
    /// <summary>A relative change: a delivery received, damage, a count correction.</summary>
    Adjusted = 1,

    /// <summary>On-hand set to an absolute figure from an external inventory system.</summary>
    Synced = 2,

    /// <summary>Units held by a new reservation.</summary>
    Reserved = 3,

    /// <summary>A reservation sold: on-hand and reserved both drop.</summary>
    Committed = 4,

    /// <summary>A reservation given back by the caller.</summary>
    Released = 5,

    /// <summary>A reservation whose deadline passed, returned by the sweeper.</summary>
    Expired = 6,
}

/// <summary>
/// One entry of the append-only movement ledger. Summing <see cref="OnHandDelta"/> and <see cref="ReservedDelta"/>
/// over a SKU's movements rebuilds its stock exactly.
/// </summary>
/// <param name="Sequence">Position in the ledger; increasing per SKU and location.</param>
/// <param name="Sku">The SKU.</param>
/// <param name="Location">The location.</param>
/// <param name="Kind">What caused it.</param>
/// <param name="OnHandDelta">Change of on-hand.</param>
/// <param name="ReservedDelta">Change of reserved.</param>
/// <param name="Reason">Why, as the caller said (for adjustments) or the kind (for reservations).</param>
/// <param name="Reference">The reservation id or the idempotency key of the adjustment.</param>
/// <param name="OccurredAt">When.</param>
public sealed record StockMovement(
    long Sequence,
    Sku Sku,
    LocationId Location,
    StockMovementKind Kind,
    long OnHandDelta,
    long ReservedDelta,
    string Reason,
    string Reference,
    DateTimeOffset OccurredAt);
