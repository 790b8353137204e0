using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Commerce.Collections;
using Commerce.Events;
using Commerce.Inventory.Storage;

namespace Commerce.Inventory.InMemory;

/// <summary>
/// The embedded inventory store: everything in process memory, correct under heavy multithreading without a global
/// lock. Each SKU-at-location row has its own monitor; an operation locks the rows it touches in ordinal key order
/// (so concurrent multi-SKU reservations cannot deadlock), checks and changes them, appends movements and events,
/// and unlocks. Reservation ids are claimed with an atomic insert, so two copies of one request never both hold stock.
/// </summary>
public sealed partial class InMemoryInventoryStore : IInventoryStore
{
    private readonly ConcurrentDictionary<Sku, ConcurrentDictionary<LocationId, StockRow>> _stock = new();
    private readonly StripedDictionary<ReservationId, ReservationEntry> _reservations = new();
    private readonly ConcurrentDictionary<IdempotencyKey, StockChangeRecord> _stockChanges = new();
    // One delegate for every append: the outbox serializes a payload only when it is relayed.
    private static readonly Func<object, ReadOnlyMemory<byte>> SerializePayload = InventoryEventFactory.SerializePayload;

    private readonly InMemoryOutboxStore? _outbox;
    private readonly TimeSpan _retention;
    private long _sequence;

    /// <summary>Creates a store that records no events.</summary>
    public InMemoryInventoryStore()
        : this(recordEvents: false)
    {
    }

    /// <summary>Creates a store.</summary>
    /// <param name="recordEvents">Whether to write events to <see cref="Outbox"/> for a relay to publish.</param>
    /// <param name="retention">
    /// How long finished (committed, released, expired) reservations and the idempotency keys of stock changes are
    /// kept so that replays still return the first outcome; the sweeper forgets them after that. Default 24 hours.
    /// </param>
    /// <param name="timeProvider">The clock the outbox schedules retries with. Default <see cref="TimeProvider.System"/>.</param>
    public InMemoryInventoryStore(bool recordEvents, TimeSpan? retention = null, TimeProvider? timeProvider = null)
    {
        _outbox = recordEvents ? new InMemoryOutboxStore(timeProvider) : null;
        _retention = retention ?? TimeSpan.FromHours(24);
    }

    /// <summary>The outbox the store writes its events to, or null when it records none.</summary>
    public IOutboxStore? Outbox => _outbox;

    /// <inheritdoc />
    public ValueTask<StockLevel?> GetStockAsync(Sku sku, LocationId location, CancellationToken cancellationToken)
    {
        if (TryGetRow(sku, location, out var row))
        {
            lock (row)
            {
                return new(row.ToLevel());
            }
        }

        return new((StockLevel?)null);
    }

    /// <inheritdoc />
    public ValueTask<StockLevel> SetBackorderLimitAsync(Sku sku, LocationId location, long limit, CancellationToken cancellationToken)
    {
        var row = GetRowOrThrow(sku, location);
        lock (row)
        {
            row.BackorderLimit = limit;
            return new(row.ToLevel());
        }
    }

    /// <inheritdoc />
    public ValueTask<StockChangeResult> ApplyStockChangeAsync(StockChange change, CancellationToken cancellationToken)
    {
        if (_stockChanges.TryGetValue(change.IdempotencyKey, out var previous))
        {
            return new(Replay(previous, change));
        }

        if (!TryGetRow(change.Sku, change.Location, out var row))
        {
            if (change is { Kind: StockChangeKind.Adjust, Quantity: < 0 })
            {
                throw InvalidAdjustment($"{change.Sku} has no stock at {change.Location} to take {-change.Quantity} units from.");
            }

            row = _stock.GetOrAdd(change.Sku, static _ => new()).GetOrAdd(change.Location, static (location, sku) => new StockRow(sku, location), change.Sku);
        }

        StockChangeRecord record;
        lock (row)
        {
            var onHandDelta = change.Kind == StockChangeKind.Adjust ? change.Quantity : change.Quantity - row.OnHand;
            var onHand = row.OnHand + onHandDelta;
            if (change.Kind == StockChangeKind.Adjust)
            {
                if (onHand < 0)
                {
                    throw InvalidAdjustment($"{change.Sku} at {change.Location} has {row.OnHand} on hand; removing {-change.Quantity} would go below zero.");
                }

                if (change.Quantity < 0 && onHand - row.Reserved + row.BackorderLimit < 0)
                {
                    throw InvalidAdjustment(
                        $"{change.Sku} at {change.Location} has {row.Reserved} units reserved; removing {-change.Quantity} would break live reservations. Release them first or sync the counted figure.");
                }
            }

            var level = row.ToLevel() with { OnHand = onHand };
            record = new StockChangeRecord(change.Fingerprint, new StockChangeResult(level, IsReplay: false), change.Now);
            if (!_stockChanges.TryAdd(change.IdempotencyKey, record))
            {
                record = null!;
            }
            else
            {
                row.OnHand = onHand;
                var kind = change.Kind == StockChangeKind.Adjust ? StockMovementKind.Adjusted : StockMovementKind.Synced;
                row.Movements.Add(NextSequence(), kind, onHandDelta, 0, change.Reason, change.IdempotencyKey.Value, change.Now);
                _outbox?.Append(InventoryEventTypes.StockAdjusted, $"{change.Sku}@{change.Location}", change.Now, new StockAdjustedEvent(
                    change.Sku.Value, change.Location.Value, change.Kind == StockChangeKind.Adjust ? "adjust" : "sync",
                    onHandDelta, onHand, row.Reserved, change.Reason, change.IdempotencyKey.Value), SerializePayload);
            }
        }

        // Lost the race for the key to a concurrent change: answer as that one did.
        return new(record is null ? Replay(_stockChanges[change.IdempotencyKey], change) : record.Result);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StockMovement> ReadMovementsAsync(Sku sku, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        if (!_stock.TryGetValue(sku, out var locations))
        {
            yield break;
        }

        var all = new List<StockMovement>();
        foreach (var row in locations.Values)
        {
            lock (row)
            {
                row.Movements.CopyTo(row.Sku, row.Location, all);
            }
        }

        all.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var movement in all)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return movement;
        }
    }

    private static StockChangeResult Replay(StockChangeRecord previous, StockChange change)
    {
        if (previous.Fingerprint != change.Fingerprint)
        {
            throw new CommerceValidationException(InventoryErrorCodes.IdempotencyKeyReused,
                $"Idempotency key '{change.IdempotencyKey}' was already used for a different stock change.", "IdempotencyKey");
        }

        return previous.Result with { IsReplay = true };
    }

    private static CommerceValidationException InvalidAdjustment(string message) =>
        new(InventoryErrorCodes.InvalidAdjustment, message, "Quantity");

    private long NextSequence() => Interlocked.Increment(ref _sequence);

    private bool TryGetRow(Sku sku, LocationId location, out StockRow row)
    {
        if (_stock.TryGetValue(sku, out var locations) && locations.TryGetValue(location, out row!))
        {
            return true;
        }

        row = null!;
        return false;
    }

    private StockRow GetRowOrThrow(Sku sku, LocationId location) =>
        TryGetRow(sku, location, out var row)
            ? row
            : throw new CommerceValidationException(InventoryErrorCodes.UnknownSku, $"{sku} has no stock record at {location}.", "Sku");

    private sealed record StockChangeRecord(Guid Fingerprint, StockChangeResult Result, DateTimeOffset CreatedAt);

    /// <summary>One SKU at one location. Every field is read and written under the row's own monitor.</summary>
    private sealed class StockRow(Sku sku, LocationId location)
    {
        public Sku Sku { get; } = sku;

        public LocationId Location { get; } = location;

        public long OnHand { get; set; }

        public long Reserved { get; set; }

        public long BackorderLimit { get; set; }

        public MovementLog Movements { get; } = new();

        public long Reservable => OnHand - Reserved + BackorderLimit;

        public StockLevel ToLevel() => new(Sku, Location, OnHand, Reserved, BackorderLimit);

        public int CompareTo(StockRow other)
        {
            var bySku = Sku.CompareTo(other.Sku);
            return bySku != 0 ? bySku : Location.CompareTo(other.Location);
        }
    }
}
