namespace Commerce.Inventory;

/// <summary>The stock of one SKU at one location.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Location">The location.</param>
/// <param name="OnHand">Units physically held and not yet sold (committed reservations have left it).</param>
/// <param name="Reserved">Units held by live reservations.</param>
/// <param name="BackorderLimit">How far below zero <see cref="Available"/> may go: 0 denies backorders.</param>
public sealed record StockLevel(Sku Sku, LocationId Location, long OnHand, long Reserved, long BackorderLimit)
{
    /// <summary>Units that can still be reserved before backorders: on hand minus reserved (negative when backordered).</summary>
    public long Available => OnHand - Reserved;

    /// <summary>Units that a new reservation can take, backorder allowance included.</summary>
    public long Reservable => OnHand - Reserved + BackorderLimit;
}
