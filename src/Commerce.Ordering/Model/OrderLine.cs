namespace Commerce.Ordering;

/// <summary>A line of an order: units of one SKU sold by one seller at a unit price.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Seller">The seller who sells and ships it.</param>
/// <param name="Quantity">Units, at least 1.</param>
/// <param name="UnitPrice">The price of one unit, not negative, in the order's currency.</param>
public sealed record OrderLine(Sku Sku, SellerId Seller, long Quantity, Money UnitPrice)
{
    /// <summary>Quantity times unit price.</summary>
    public Money LineTotal => UnitPrice * Quantity;
}

/// <summary>One seller's part of an order and how far its delivery has gone.</summary>
/// <param name="Seller">The seller.</param>
/// <param name="State">Pending, shipped or delivered.</param>
/// <param name="TrackingNumber">The carrier's tracking number, once shipped.</param>
/// <param name="ShippedAt">When it shipped.</param>
/// <param name="DeliveredAt">When it was delivered.</param>
public sealed record Fulfilment(
    SellerId Seller,
    FulfilmentState State,
    string? TrackingNumber = null,
    DateTimeOffset? ShippedAt = null,
    DateTimeOffset? DeliveredAt = null);
