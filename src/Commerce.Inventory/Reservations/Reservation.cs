namespace Commerce.Inventory;

/// <summary>One line of a reservation request.</summary>
/// <param name="Sku">The SKU to hold.</param>
/// <param name="Quantity">Units to hold, at least 1.</param>
public sealed record ReservationLine(Sku Sku, long Quantity)
{
    /// <summary>The location to hold from; the configured default location when not set.</summary>
    public LocationId? Location { get; init; }
}

/// <summary>A request to hold stock for several lines, all or nothing.</summary>
/// <param name="Id">The caller-chosen id: repeating a request with the same id returns the first outcome.</param>
/// <param name="Lines">The lines; each SKU and location at most once.</param>
public sealed record ReservationRequest(ReservationId Id, IReadOnlyList<ReservationLine> Lines)
{
    /// <summary>How long to hold the stock; <see cref="InventoryOptions.DefaultReservationTtl"/> when not set.</summary>
    public TimeSpan? Ttl { get; init; }
}

/// <summary>The life of a reservation.</summary>
public enum ReservationState
{
    /// <summary>Holding stock until it is committed, released or its deadline passes.</summary>
    Active = 0,

    /// <summary>Sold: the units left on-hand.</summary>
    Committed = 1,

    /// <summary>Given back by the caller.</summary>
    Released = 2,

    /// <summary>Given back by the expiry sweeper after the deadline passed.</summary>
    Expired = 3,
}

/// <summary>A held (or formerly held) set of stock lines.</summary>
/// <param name="Id">The id.</param>
/// <param name="Lines">The lines, each with its location resolved.</param>
/// <param name="State">The current state.</param>
/// <param name="CreatedAt">When the stock was first held.</param>
/// <param name="ExpiresAt">The deadline after which the sweeper returns the stock unless it was committed.</param>
public sealed record Reservation(
    ReservationId Id,
    IReadOnlyList<ReservedLine> Lines,
    ReservationState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>Two reservations are equal when every field and every line (in order) are equal.</summary>
    public bool Equals(Reservation? other) =>
        other is not null
        && Id == other.Id
        && State == other.State
        && CreatedAt == other.CreatedAt
        && ExpiresAt == other.ExpiresAt
        && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Id, State, CreatedAt, ExpiresAt, Lines.Count);
}

/// <summary>A line of a reservation, its location resolved.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Location">The location.</param>
/// <param name="Quantity">Units held.</param>
public readonly record struct ReservedLine(Sku Sku, LocationId Location, long Quantity);

/// <summary>What a line asked for and what was available when a reservation was refused.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Location">The location.</param>
/// <param name="Requested">Units asked for.</param>
/// <param name="Available">Units that could have been reserved (backorder allowance included), never below zero.</param>
public readonly record struct LineAvailability(Sku Sku, LocationId Location, long Requested, long Available)
{
    /// <summary>Whether this line could not be filled.</summary>
    public bool IsShort => Requested > Available;
}
