using System.Collections.Concurrent;
using Commerce.Collections;
using Commerce.Events;
using Commerce.Ordering.Storage;

namespace Commerce.Ordering.InMemory;

/// <summary>
/// The embedded order store: everything in process memory, correct under heavy multithreading without a global lock.
/// Each order has its own monitor; an append checks the version and the command id, stores the event and the new
/// order and queues the outbox message under it, so an order's events reach the outbox in version order. Buyer and
/// seller indexes are sorted arrays with a monitor each, touched only when an order is placed.
/// </summary>
/// <remarks>
/// Built to hold millions of orders with little for the garbage collector to trace: an order is its current
/// <see cref="Order"/> plus one record (<see cref="OrderRecord"/>) that keeps its history compactly, with the command
/// ids and fingerprints inline and the first events inside the record itself; the id maps and the indexes hold no
/// object per order. History events are rebuilt when read; they equal the events the commands returned.
/// </remarks>
public sealed class InMemoryOrderStore : IOrderStore
{
    // Order id -> OrderRecord; no node object per order.
    private readonly StripedDictionary<string, OrderRecord> _orders = new(StringComparer.Ordinal);

    // Buyer id -> the record of the buyer's one order, or an OrderIndex once there is a second. Most buyers of a
    // marketplace's busiest hour have one order, and this way they cost no index (nor map node) of their own.
    private readonly StripedDictionary<string, object> _byBuyer = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SellerId, OrderIndex> _bySeller = new();

    // One delegate for every append: the outbox serializes a change only when it is relayed.
    private static readonly Func<object, ReadOnlyMemory<byte>> SerializeChange = static change => OrderEventSerializer.Serialize((OrderEvent)change);

    private readonly InMemoryOutboxStore? _outbox;

    /// <summary>Creates a store that records no outbox messages.</summary>
    public InMemoryOrderStore()
        : this(recordEvents: false)
    {
    }

    /// <summary>Creates a store.</summary>
    /// <param name="recordEvents">Whether to queue every event in <see cref="Outbox"/> for a relay to publish.</param>
    /// <param name="timeProvider">The clock the outbox schedules retries with. Default <see cref="TimeProvider.System"/>.</param>
    public InMemoryOrderStore(bool recordEvents, TimeProvider? timeProvider = null) =>
        _outbox = recordEvents ? new InMemoryOutboxStore(timeProvider) : null;

    /// <summary>The outbox the store writes its events to, or null when it records none.</summary>
    public IOutboxStore? Outbox => _outbox;

    /// <inheritdoc />
    public ValueTask<LoadedOrder> LoadAsync(OrderId orderId, CommandId commandId, CancellationToken cancellationToken)
    {
        if (Find(orderId) is not { } record)
        {
            return new(default(LoadedOrder));
        }

        lock (record)
        {
            return new(new LoadedOrder(record.Current, record.FindCommand(commandId)));
        }
    }

    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(OrderAppend append, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(append);
        var change = append.Event;
        if (change.Version == 1)
        {
            var created = new OrderRecord(append);
            // Locked before it is visible, so that no one appends version 2 before version 1 is in the outbox.
            lock (created)
            {
                if (_orders.TryAdd(Key(change.OrderId), created))
                {
                    _outbox?.Append(change.EventId, change.TypeName, change.OrderId.Value, change.OccurredAt, change, SerializeChange, change.CommandId.Value);
                    Index(append.Order, created);
                    return new(new AppendResult(AppendStatus.Appended));
                }
            }
        }

        if (Find(change.OrderId) is not { } record)
        {
            return new(new AppendResult(AppendStatus.VersionConflict));
        }

        lock (record)
        {
            if (record.FindCommand(change.CommandId) is { } recorded)
            {
                return new(new AppendResult(AppendStatus.CommandRecorded, recorded));
            }

            if (record.Current.Version != change.Version - 1)
            {
                return new(new AppendResult(AppendStatus.VersionConflict));
            }

            record.Append(append);
            _outbox?.Append(change.EventId, change.TypeName, change.OrderId.Value, change.OccurredAt, change, SerializeChange, change.CommandId.Value);
        }

        return new(new AppendResult(AppendStatus.Appended));
    }

    /// <inheritdoc />
    public ValueTask<Order?> GetAsync(OrderId orderId, CancellationToken cancellationToken) =>
        new(Find(orderId)?.Current);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OrderEvent>> ReadHistoryAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        if (Find(orderId) is not { } record)
        {
            return new(Array.Empty<OrderEvent>());
        }

        lock (record)
        {
            return new(record.History());
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Order>> ListByBuyerAsync(BuyerId buyer, OrderCursor? after, int limit, CancellationToken cancellationToken)
    {
        if (!_byBuyer.TryGetValue(Key(buyer), out var indexed))
        {
            return new(Array.Empty<Order>());
        }

        if (indexed is OrderIndex index)
        {
            return new(index.List(null, after, limit));
        }

        var only = (OrderRecord)indexed;
        return new(after is { } cursor && !OrderIndex.IsAfter(only, cursor) ? [] : [only.Current]);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Order>> ListBySellerAsync(SellerId seller, OrderState? state, OrderCursor? after, int limit, CancellationToken cancellationToken) =>
        new(_bySeller.TryGetValue(seller, out var index) ? index.List(state, after, limit) : []);

    private void Index(Order order, OrderRecord record)
    {
        IndexBuyer(order.Buyer, record);
        var fulfilments = order.Fulfilments;
        for (var i = 0; i < fulfilments.Count; i++)
        {
            _bySeller.GetOrAdd(fulfilments[i].Seller, static _ => new OrderIndex()).Add(record);
        }
    }

    private void IndexBuyer(BuyerId buyer, OrderRecord record)
    {
        while (true)
        {
            var indexed = _byBuyer.GetOrAdd(Key(buyer), static (_, added) => added, (object)record);
            if (ReferenceEquals(indexed, record))
            {
                return;
            }

            if (indexed is OrderIndex index)
            {
                index.Add(record);
                return;
            }

            // The buyer's second order: replace the lone record with an index of both, unless someone else just did.
            var first = (OrderRecord)indexed;
            var both = new OrderIndex();
            both.Add(first);
            both.Add(record);
            if (_byBuyer.TryUpdate(Key(buyer), both, first))
            {
                return;
            }
        }
    }

    private OrderRecord? Find(OrderId orderId) => _orders.TryGetValue(Key(orderId), out var record) ? record : null;

    // The id's text; the default id (no text) is filed under the empty string.
    private static string Key(OrderId id) => id.IsEmpty ? string.Empty : id.Value;

    private static string Key(BuyerId id) => id.IsEmpty ? string.Empty : id.Value;
}
