namespace Commerce.Inventory;

/// <summary>A relative change of on-hand stock: a delivery received (+), damage or loss (-), a count correction.</summary>
/// <param name="Sku">The SKU; adjusting a SKU that has no stock record yet creates it.</param>
/// <param name="Quantity">The change, positive or negative, never zero.</param>
/// <param name="Reason">Why, for the ledger (1 to 200 characters).</param>
/// <param name="IdempotencyKey">Makes the adjustment safe to repeat.</param>
public sealed record StockAdjustment(Sku Sku, long Quantity, string Reason, IdempotencyKey IdempotencyKey)
{
    /// <summary>The location; the configured default location when not set.</summary>
    public LocationId? Location { get; init; }
}

/// <summary>
/// An absolute on-hand figure from an external inventory system. Live reservations are kept: reserved does not change,
/// so available becomes <c>OnHand - Reserved</c>.
/// </summary>
/// <param name="Sku">The SKU; syncing a SKU that has no stock record yet creates it.</param>
/// <param name="OnHand">The counted on-hand, zero or more.</param>
/// <param name="Reason">Why, for the ledger.</param>
/// <param name="IdempotencyKey">Makes the sync safe to repeat.</param>
public sealed record StockCount(Sku Sku, long OnHand, string Reason, IdempotencyKey IdempotencyKey)
{
    /// <summary>The location; the configured default location when not set.</summary>
    public LocationId? Location { get; init; }
}

/// <summary>The outcome of an adjustment or a sync.</summary>
/// <param name="Stock">The stock level right after the change (on a replay, as it was then).</param>
/// <param name="IsReplay">True when the idempotency key had been used before and nothing changed now.</param>
public sealed record StockChangeResult(StockLevel Stock, bool IsReplay)
{
    /// <summary>
    /// Units reserved beyond what is on hand and allowed as backorder after the change (a sync can report fewer units
    /// than are promised): the shortfall someone has to resolve. Zero when everything promised can be shipped.
    /// </summary>
    public long Shortfall => Math.Max(0, -Stock.Reservable);
}
