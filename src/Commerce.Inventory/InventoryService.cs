using System.Diagnostics;
using System.Runtime.CompilerServices;
using Commerce.Inventory.Diagnostics;
using Commerce.Inventory.Storage;
using Microsoft.Extensions.Options;

namespace Commerce.Inventory;

/// <summary>
/// The inventory engine's entry point: stock levels, adjustments and syncs, and TTL reservations. It validates every
/// request (a bad one throws <see cref="CommerceValidationException"/> with a stable code and writes nothing), reads
/// the time from <see cref="TimeProvider"/>, and hands the normalized request to the configured
/// <see cref="IInventoryStore"/>, which makes it atomic.
/// </summary>
public sealed partial class InventoryService
{
    private readonly IInventoryStore _store;
    private readonly InventoryOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly InventoryMetrics _metrics;
    private readonly LocationId _defaultLocation;

    /// <summary>Creates the service over a store.</summary>
    public InventoryService(IInventoryStore store, IOptions<InventoryOptions> options, TimeProvider timeProvider)
        : this(store, options?.Value ?? throw new ArgumentNullException(nameof(options)), timeProvider, new InventoryMetrics())
    {
    }

    internal InventoryService(IInventoryStore store, InventoryOptions options, TimeProvider timeProvider, InventoryMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _store = store;
        _options = options;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _defaultLocation = new LocationId(options.DefaultLocation);
    }

    /// <summary>The settings in force.</summary>
    public InventoryOptions Options => _options;

    /// <summary>Creates a service over the in-memory store, for tests, demos and single-process use.</summary>
    public static InventoryService CreateInMemory(InventoryOptions? options = null, TimeProvider? timeProvider = null)
    {
        var time = timeProvider ?? TimeProvider.System;
        return new InventoryService(new InMemory.InMemoryInventoryStore(), options ?? new InventoryOptions(), time, new InventoryMetrics());
    }

    /// <summary>Changes on-hand by a relative quantity (a delivery, damage, a correction), idempotently by key.</summary>
    /// <exception cref="CommerceValidationException">Invalid quantity, reason or key reused with another body.</exception>
    public async ValueTask<StockChangeResult> AdjustStockAsync(StockAdjustment adjustment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adjustment);
        if (adjustment.Quantity is 0 or long.MinValue || Math.Abs(adjustment.Quantity) > _options.MaxStockQuantity)
        {
            throw Invalid(InventoryErrorCodes.InvalidQuantity,
                $"An adjustment must be a non-zero quantity within +/-{_options.MaxStockQuantity}.", nameof(adjustment.Quantity));
        }

        var change = NewStockChange(adjustment.Sku, adjustment.Location, StockChangeKind.Adjust, adjustment.Quantity, adjustment.Reason, adjustment.IdempotencyKey);
        var result = await _store.ApplyStockChangeAsync(change, cancellationToken).ConfigureAwait(false);
        if (!result.IsReplay)
        {
            _metrics.StockChanged("adjust");
        }

        return result;
    }

    /// <summary>
    /// Sets on-hand to the figure an external inventory system counted, idempotently by key. Live reservations are
    /// kept; <see cref="StockChangeResult.Shortfall"/> reports units promised beyond what is now on hand.
    /// </summary>
    /// <exception cref="CommerceValidationException">Invalid quantity, reason or key reused with another body.</exception>
    public async ValueTask<StockChangeResult> SetOnHandAsync(StockCount count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(count);
        if (count.OnHand < 0 || count.OnHand > _options.MaxStockQuantity)
        {
            throw Invalid(InventoryErrorCodes.InvalidQuantity,
                $"On-hand must be between 0 and {_options.MaxStockQuantity}.", nameof(count.OnHand));
        }

        var change = NewStockChange(count.Sku, count.Location, StockChangeKind.Sync, count.OnHand, count.Reason, count.IdempotencyKey);
        var result = await _store.ApplyStockChangeAsync(change, cancellationToken).ConfigureAwait(false);
        if (!result.IsReplay)
        {
            _metrics.StockChanged("sync");
        }

        return result;
    }

    /// <summary>Sets the backorder policy of a SKU at a location: 0 denies backorders, N allows available down to -N.</summary>
    public ValueTask<StockLevel> SetBackorderLimitAsync(Sku sku, long limit, LocationId? location = null, CancellationToken cancellationToken = default)
    {
        RequireId(sku.IsEmpty, nameof(sku));
        if (limit < 0 || limit > _options.MaxStockQuantity)
        {
            throw Invalid(InventoryErrorCodes.InvalidQuantity, $"A backorder limit must be between 0 and {_options.MaxStockQuantity}.", nameof(limit));
        }

        return _store.SetBackorderLimitAsync(sku, Resolve(location), limit, cancellationToken);
    }

    /// <summary>Returns the stock of a SKU at a location (the default location when not given), or null when it has none.</summary>
    public ValueTask<StockLevel?> GetStockAsync(Sku sku, LocationId? location = null, CancellationToken cancellationToken = default)
    {
        RequireId(sku.IsEmpty, nameof(sku));
        return _store.GetStockAsync(sku, Resolve(location), cancellationToken);
    }

    /// <summary>Reads a SKU's movement ledger at every location, oldest first.</summary>
    public IAsyncEnumerable<StockMovement> ReadMovementsAsync(Sku sku, CancellationToken cancellationToken = default)
    {
        RequireId(sku.IsEmpty, nameof(sku));
        return _store.ReadMovementsAsync(sku, cancellationToken);
    }

    /// <summary>
    /// Rebuilds a SKU's on-hand and reserved per location from its movement ledger alone. Equal to the live stock
    /// whenever no change is in flight: the ledger is the audit trail the stock can always be recomputed from.
    /// </summary>
    public async ValueTask<IReadOnlyDictionary<LocationId, (long OnHand, long Reserved)>> RebuildFromLedgerAsync(Sku sku, CancellationToken cancellationToken = default)
    {
        var totals = new Dictionary<LocationId, (long OnHand, long Reserved)>();
        await foreach (var movement in ReadMovementsAsync(sku, cancellationToken).ConfigureAwait(false))
        {
            totals.TryGetValue(movement.Location, out var total);
            totals[movement.Location] = (checked(total.OnHand + movement.OnHandDelta), checked(total.Reserved + movement.ReservedDelta));
        }

        return totals;
    }

    /// <summary>
    /// Holds stock for every line of the request, or for none. Replaying the same id with the same request returns
    /// the stored reservation; the same id with a different request throws <c>inventory.idempotency_key_reused</c>.
    /// A refused request holds nothing and stores nothing, so its id stays free for a retry.
    /// </summary>
    /// <returns>The reservation, or <c>inventory.insufficient_stock</c> with what each line could have had.</returns>
    /// <exception cref="CommerceValidationException">Empty, duplicate or out-of-range lines, a bad TTL, an unknown SKU.</exception>
    public async ValueTask<ReservationResult> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default)
    {
        var command = ValidateReservation(request);
        var started = Stopwatch.GetTimestamp();
        var result = await _store.ReserveAsync(command, cancellationToken).ConfigureAwait(false);
        _metrics.Reserved(result, Stopwatch.GetElapsedTime(started).TotalSeconds);
        return result;
    }

    /// <summary>Sells an active reservation: on-hand and reserved both drop. Committing twice returns the first commit.</summary>
    /// <returns>The committed reservation, or <c>inventory.reservation_expired</c> / <c>inventory.reservation_not_active</c>.</returns>
    /// <exception cref="CommerceException"><c>inventory.reservation_not_found</c>.</exception>
    public async ValueTask<ReservationResult> CommitAsync(ReservationId id, CancellationToken cancellationToken = default)
    {
        RequireId(id.IsEmpty, nameof(id));
        var result = await _store.CommitAsync(id, Now(), cancellationToken).ConfigureAwait(false);
        CountTransition(result, ReservationState.Committed);
        return result;
    }

    /// <summary>Gives an active reservation's stock back. Releasing twice, or releasing an expired reservation, succeeds.</summary>
    /// <returns>The released reservation, or <c>inventory.reservation_not_active</c> when it was committed.</returns>
    /// <exception cref="CommerceException"><c>inventory.reservation_not_found</c>.</exception>
    public async ValueTask<ReservationResult> ReleaseAsync(ReservationId id, CancellationToken cancellationToken = default)
    {
        RequireId(id.IsEmpty, nameof(id));
        var result = await _store.ReleaseAsync(id, Now(), cancellationToken).ConfigureAwait(false);
        CountTransition(result, ReservationState.Released);
        return result;
    }

    /// <summary>Keeps an active reservation alive until <paramref name="ttl"/> from now (never shortening it).</summary>
    /// <returns>The reservation with its new deadline, or <c>inventory.reservation_expired</c> / <c>inventory.reservation_not_active</c>.</returns>
    /// <exception cref="CommerceException"><c>inventory.reservation_not_found</c>, <c>inventory.invalid_ttl</c>.</exception>
    public async ValueTask<ReservationResult> ExtendAsync(ReservationId id, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        RequireId(id.IsEmpty, nameof(id));
        ValidateTtl(ttl);
        var now = Now();
        var result = await _store.ExtendAsync(id, ToMicroseconds(now + ttl), now, cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            _metrics.Extended();
        }

        return result;
    }

    /// <summary>Returns a reservation, or null when the id is unknown.</summary>
    public ValueTask<Reservation?> GetReservationAsync(ReservationId id, CancellationToken cancellationToken = default)
    {
        RequireId(id.IsEmpty, nameof(id));
        return _store.GetReservationAsync(id, cancellationToken);
    }

    /// <summary>Expires one batch of reservations whose deadline has passed and returns how many expired.</summary>
    public async ValueTask<int> ExpireDueReservationsAsync(CancellationToken cancellationToken = default)
    {
        var expired = await _store.ExpireAsync(Now(), _options.ExpiryBatchSize, cancellationToken).ConfigureAwait(false);
        _metrics.Transitioned(ReservationState.Expired, expired);
        return expired;
    }

    private void CountTransition(in ReservationResult result, ReservationState state)
    {
        if (result is { IsSuccess: true, IsReplay: false })
        {
            _metrics.Transitioned(state);
        }
    }

    /// <summary>The current time, truncated to whole microseconds so that every store (PostgreSQL keeps microseconds) returns exactly what it was given.</summary>
    private DateTimeOffset Now() => ToMicroseconds(_timeProvider.GetUtcNow());

    private static DateTimeOffset ToMicroseconds(DateTimeOffset time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerMicrosecond));

    private LocationId Resolve(LocationId? location) =>
        location is { IsEmpty: false } given ? given : _defaultLocation;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequireId(bool isEmpty, string name)
    {
        if (isEmpty)
        {
            throw Invalid(CoreErrorCodes.InvalidIdentifier, $"The {name} is required.", name);
        }
    }

    private static CommerceValidationException Invalid(string code, string message, string? target) => new(code, message, target);
}
