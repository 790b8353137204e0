namespace Commerce.Inventory;

/// <summary>
/// The outcome of a reservation operation: the reservation, or an expected failure such as
/// <see cref="InventoryErrorCodes.InsufficientStock"/>, <see cref="InventoryErrorCodes.ReservationExpired"/> or
/// <see cref="InventoryErrorCodes.ReservationNotActive"/>. Invalid input and unknown ids throw instead.
/// </summary>
public readonly struct ReservationResult
{
    private static readonly CommerceError InsufficientStockError =
        new(InventoryErrorCodes.InsufficientStock, "Not enough stock is available for at least one line; nothing was reserved.");

    private ReservationResult(Reservation? reservation, CommerceError? error, IReadOnlyList<LineAvailability>? availability, bool isReplay)
    {
        Reservation = reservation;
        Error = error;
        Availability = availability ?? [];
        IsReplay = isReplay;
    }

    /// <summary>Whether the operation succeeded.</summary>
    public bool IsSuccess => Error is null && Reservation is not null;

    /// <summary>The reservation as the operation left it (also set on some failures, to show its state).</summary>
    public Reservation? Reservation { get; }

    /// <summary>The failure, or null on success.</summary>
    public CommerceError? Error { get; }

    /// <summary>On an insufficient-stock failure: every line with what it asked for and what was available.</summary>
    public IReadOnlyList<LineAvailability> Availability { get; }

    /// <summary>True when the id had been seen before and the stored outcome was returned without changing anything.</summary>
    public bool IsReplay { get; }

    /// <summary>A success.</summary>
    public static ReservationResult Success(Reservation reservation, bool isReplay = false)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        return new(reservation, null, null, isReplay);
    }

    /// <summary>An insufficient-stock failure with per-line availability.</summary>
    public static ReservationResult InsufficientStock(IReadOnlyList<LineAvailability> availability) =>
        new(null, InsufficientStockError, availability, false);

    /// <summary>A failure of an operation on an existing reservation, which is returned as it stands.</summary>
    public static ReservationResult Failure(CommerceError error, Reservation? reservation = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(reservation, error, null, false);
    }

    /// <inheritdoc />
    public override string ToString() => IsSuccess
        ? $"{Reservation!.Id}: {Reservation.State}{(IsReplay ? " (replay)" : string.Empty)}"
        : Error?.ToString() ?? "(default)";
}
