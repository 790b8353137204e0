using System.Collections.Concurrent;
using Commerce.Events;
using Commerce.Ordering.Storage;

namespace Commerce.Ordering.InMemory;

/// <summary>
/// The embedded order store: everything in process memory, correct under heavy multithreading without a global lock.
/// Each order has its own monitor; an append checks the version and the command id, stores the event and the new
/// order and queues the outbox message under it, so an order's events reach the outbox in version order. Buyer and
/// seller indexes are sorted sets with a monitor each, touched only when an order is placed.
/// </summary>
public sealed class InMemoryOrderStore : IOrderStore
{
    private readonly ConcurrentDictionary<OrderId, Entry> _orders = new();
    private readonly ConcurrentDictionary<BuyerId, SortedSet<IndexKey>> _byBuyer = new();
    private readonly ConcurrentDictionary<SellerId, SortedSet<IndexKey>> _bySeller = new();
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
        if (!_orders.TryGetValue(orderId, out var entry))
        {
            return new(default(LoadedOrder));
        }

        lock (entry)
        {
            return new(new LoadedOrder(entry.Current, entry.Commands.TryGetValue(commandId, out var recorded) ? recorded : null));
        }
    }

    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(OrderAppend append, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(append);
        var change = append.Event;
        if (change.Version == 1)
        {
            var created = new Entry(append);
            // Locked before it is visible, so that no one appends version 2 before version 1 is in the outbox.
            lock (created)
            {
                if (_orders.TryAdd(change.OrderId, created))
                {
                    _outbox?.Append(change.EventId, change.TypeName, change.OrderId.Value, change.OccurredAt, change, SerializeChange, change.CommandId.Value);
                    Index(append.Order);
                    return new(new AppendResult(AppendStatus.Appended));
                }
            }
        }

        if (!_orders.TryGetValue(change.OrderId, out var entry))
        {
            return new(new AppendResult(AppendStatus.VersionConflict));
        }

        lock (entry)
        {
            if (entry.Commands.TryGetValue(change.CommandId, out var recorded))
            {
                return new(new AppendResult(AppendStatus.CommandRecorded, recorded));
            }

            if (entry.Current.Version != change.Version - 1)
            {
                return new(new AppendResult(AppendStatus.VersionConflict));
            }

            entry.History.Add(change);
            entry.Commands.Add(change.CommandId, new RecordedCommand(change.Version, append.Fingerprint));
            entry.Current = append.Order;
            _outbox?.Append(change.EventId, change.TypeName, change.OrderId.Value, change.OccurredAt, change, SerializeChange, change.CommandId.Value);
        }

        return new(new AppendResult(AppendStatus.Appended));
    }

    /// <inheritdoc />
    public ValueTask<Order?> GetAsync(OrderId orderId, CancellationToken cancellationToken) =>
        new(_orders.TryGetValue(orderId, out var entry) ? entry.Current : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OrderEvent>> ReadHistoryAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        if (!_orders.TryGetValue(orderId, out var entry))
        {
            return new(Array.Empty<OrderEvent>());
        }

        lock (entry)
        {
            return new(entry.History.ToArray());
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Order>> ListByBuyerAsync(BuyerId buyer, OrderCursor? after, int limit, CancellationToken cancellationToken) =>
        new(_byBuyer.TryGetValue(buyer, out var index) ? List(index, null, after, limit) : []);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Order>> ListBySellerAsync(SellerId seller, OrderState? state, OrderCursor? after, int limit, CancellationToken cancellationToken) =>
        new(_bySeller.TryGetValue(seller, out var index) ? List(index, state, after, limit) : []);

    private void Index(Order order)
    {
        var key = new IndexKey(order.PlacedAt, order.Id);
        Add(_byBuyer.GetOrAdd(order.Buyer, static _ => new SortedSet<IndexKey>(NewestFirst.Instance)), key);
        foreach (var fulfilment in order.Fulfilments)
        {
            Add(_bySeller.GetOrAdd(fulfilment.Seller, static _ => new SortedSet<IndexKey>(NewestFirst.Instance)), key);
        }

        static void Add(SortedSet<IndexKey> index, IndexKey key)
        {
            lock (index)
            {
                index.Add(key);
            }
        }
    }

    private Order[] List(SortedSet<IndexKey> index, OrderState? state, OrderCursor? after, int limit)
    {
        var page = new List<Order>(Math.Min(limit, 64));
        lock (index)
        {
            if (index.Count == 0)
            {
                return [];
            }

            var view = index;
            if (after is { } cursor)
            {
                var from = new IndexKey(cursor.PlacedAt, cursor.OrderId);
                if (NewestFirst.Instance.Compare(from, index.Max) > 0)
                {
                    return [];
                }

                view = index.GetViewBetween(from, index.Max);
            }

            foreach (var key in view)
            {
                if (after is { } c && key.PlacedAt == c.PlacedAt && key.OrderId == c.OrderId)
                {
                    continue;
                }

                var order = _orders[key.OrderId].Current;
                if (state is null || order.State == state)
                {
                    page.Add(order);
                    if (page.Count == limit)
                    {
                        break;
                    }
                }
            }
        }

        return [.. page];
    }

    private readonly record struct IndexKey(DateTimeOffset PlacedAt, OrderId OrderId);

    /// <summary>Newest first; ids (descending) break ties, the same order the PostgreSQL store pages in.</summary>
    private sealed class NewestFirst : IComparer<IndexKey>
    {
        public static readonly NewestFirst Instance = new();

        public int Compare(IndexKey x, IndexKey y)
        {
            var byTime = y.PlacedAt.CompareTo(x.PlacedAt);
            return byTime != 0 ? byTime : y.OrderId.CompareTo(x.OrderId);
        }
    }

    /// <summary>One order. <see cref="History"/> and <see cref="Commands"/> are guarded by the entry's monitor; <see cref="Current"/> is immutable and swapped whole.</summary>
    private sealed class Entry
    {
        private volatile Order _current;

        public Entry(OrderAppend first)
        {
            _current = first.Order;
            History = [first.Event];
            Commands = new Dictionary<CommandId, RecordedCommand> { [first.Event.CommandId] = new RecordedCommand(1, first.Fingerprint) };
        }

        public Order Current
        {
            get => _current;
            set => _current = value;
        }

        public List<OrderEvent> History { get; }

        public Dictionary<CommandId, RecordedCommand> Commands { get; }
    }
}
