namespace Commerce.Inventory.Storage;

/// <summary>
/// The storage seam of the inventory engine. <see cref="InventoryService"/> validates and normalizes every request
/// before it reaches a store, so a store only has to make each operation atomic: stock is checked and changed in one
/// conditional step (never read-then-write), multi-SKU rows are locked in a stable order, and every change appends
/// its movements to the ledger and its event to the outbox in the same atomic step.
/// </summary>
/// <remarks>
/// Implementations: <see cref="InMemory.InMemoryInventoryStore"/> (the embedded default) and the PostgreSQL and Redis
/// stores in their packages. All of them pass the same conformance suite.
/// </remarks>
public interface IInventoryStore
{
    /// <summary>Applies an adjustment or a sync, idempotently by its key; creates the stock record if needed.</summary>
    /// <exception cref="CommerceException"><c>inventory.idempotency_key_reused</c>, <c>inventory.invalid_adjustment</c>.</exception>
    ValueTask<StockChangeResult> ApplyStockChangeAsync(StockChange change, CancellationToken cancellationToken);

    /// <summary>Sets how far below zero available stock may go at one location.</summary>
    /// <exception cref="CommerceException"><c>inventory.unknown_sku</c>.</exception>
    ValueTask<StockLevel> SetBackorderLimitAsync(Sku sku, LocationId location, long limit, CancellationToken cancellationToken);

    /// <summary>Returns the stock of a SKU at a location, or null when it has none.</summary>
    ValueTask<StockLevel?> GetStockAsync(Sku sku, LocationId location, CancellationToken cancellationToken);

    /// <summary>Holds stock for every line or for none; replays return the stored reservation.</summary>
    /// <exception cref="CommerceException"><c>inventory.unknown_sku</c>, <c>inventory.idempotency_key_reused</c>.</exception>
    ValueTask<ReservationResult> ReserveAsync(ReservationCommand command, CancellationToken cancellationToken);

    /// <summary>Sells an active reservation: on-hand and reserved both drop. Idempotent.</summary>
    /// <exception cref="CommerceException"><c>inventory.reservation_not_found</c>.</exception>
    ValueTask<ReservationResult> CommitAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Returns an active reservation's stock. Idempotent; releasing an expired reservation succeeds.</summary>
    /// <exception cref="CommerceException"><c>inventory.reservation_not_found</c>.</exception>
    ValueTask<ReservationResult> ReleaseAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Moves an active, unexpired reservation's deadline to <paramref name="expiresAt"/> if that is later.</summary>
    /// <exception cref="CommerceException"><c>inventory.reservation_not_found</c>.</exception>
    ValueTask<ReservationResult> ExtendAsync(ReservationId id, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Returns a reservation, or null when the id is unknown.</summary>
    ValueTask<Reservation?> GetReservationAsync(ReservationId id, CancellationToken cancellationToken);

    /// <summary>
    /// Expires up to <paramref name="maxCount"/> active reservations whose deadline is at or before
    /// <paramref name="now"/>, returning their stock. Safe to call from several processes at once: each reservation
    /// expires exactly once. Returns how many expired.
    /// </summary>
    ValueTask<int> ExpireAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken);

    /// <summary>Reads a SKU's movements at every location, in ledger order.</summary>
    IAsyncEnumerable<StockMovement> ReadMovementsAsync(Sku sku, CancellationToken cancellationToken);
}
