using System.Runtime.CompilerServices;
using Commerce.Ordering.Storage;

namespace Commerce.Ordering.InMemory;

/// <summary>
/// One order in <see cref="InMemoryOrderStore"/>: its current <see cref="Order"/> and its history, kept as one
/// <see cref="StoredEvent"/> per event. The first <see cref="InlineCapacity"/> events live inside this object and the
/// rest in one array, so an order that is placed and paid costs one object here instead of a history list, its array,
/// two events and a dictionary of command ids. The command ids are found by scanning the history (orders see a handful
/// of commands); a dictionary is built only once a history passes <see cref="DictionaryThreshold"/> events.
/// </summary>
/// <remarks>
/// Everything but <see cref="Current"/> is guarded by this object's monitor; <see cref="Current"/> is immutable and
/// swapped whole, so readers may take it without the lock. <see cref="Id"/> and <see cref="PlacedAtTicks"/> are the
/// index key, fixed when the order is placed.
/// </remarks>
internal sealed class OrderRecord
{
    internal const int InlineCapacity = 2;
    internal const int DictionaryThreshold = 16;

    private volatile Order _current;
    private InlineEvents _inline;
    private StoredEvent[]? _more;
    private Dictionary<CommandId, int>? _byCommand;
    private int _count;

    public OrderRecord(OrderAppend first)
    {
        Id = first.Event.OrderId;
        PlacedAtTicks = first.Order.PlacedAt.UtcTicks;
        _current = first.Order;
        _inline[0] = StoredEvent.From(first.Event, first.Order, first.Fingerprint, position: 0);
        _count = 1;
    }

    /// <summary>The order's id; the id of every event in its history.</summary>
    public OrderId Id { get; }

    /// <summary>When the order was placed, in UTC ticks: with <see cref="Id"/>, its place in the buyer and seller indexes.</summary>
    public long PlacedAtTicks { get; }

    /// <summary>The order after its latest event.</summary>
    public Order Current => _current;

    /// <summary>The number of events in the history.</summary>
    public int Count => _count;

    /// <summary>The record of a command applied to this order, or null when the id is new here.</summary>
    public RecordedCommand? FindCommand(CommandId commandId)
    {
        if (_byCommand is not null)
        {
            return _byCommand.TryGetValue(commandId, out var found) ? Recorded(found) : null;
        }

        for (var i = 0; i < _count; i++)
        {
            if (At(i).CommandId == commandId)
            {
                return Recorded(i);
            }
        }

        return null;
    }

    /// <summary>Stores the next event and the order it leads to; the caller has checked the version and the command id.</summary>
    public void Append(OrderAppend append)
    {
        var next = append.Order;
        // A compact placed event is rebuilt from the current order's placement; an order that changes it (which
        // OrderService never makes) first gets that event kept whole.
        if (At(0).Rebuilds(StoredEvent.Placement) && !SamePlacement(_current, next))
        {
            At(0) = StoredEvent.Whole(At(0).ToEvent(Id, 1, _current), At(0).Fingerprint);
        }

        var position = _count;
        if (position >= InlineCapacity)
        {
            var more = _more ??= new StoredEvent[InlineCapacity];
            if (position - InlineCapacity == more.Length)
            {
                Array.Resize(ref _more, more.Length * 2);
            }
        }

        At(position) = StoredEvent.From(append.Event, next, append.Fingerprint, position);
        _count = position + 1;
        if (_byCommand is not null)
        {
            _byCommand.Add(append.Event.CommandId, position);
        }
        else if (_count > DictionaryThreshold)
        {
            _byCommand = new Dictionary<CommandId, int>(_count * 2);
            for (var i = 0; i < _count; i++)
            {
                _byCommand.Add(At(i).CommandId, i);
            }
        }

        _current = next;
    }

    /// <summary>The history, oldest event first, as new <see cref="OrderEvent"/> instances equal to the appended ones.</summary>
    public OrderEvent[] History()
    {
        var history = new OrderEvent[_count];
        for (var i = 0; i < history.Length; i++)
        {
            history[i] = At(i).ToEvent(Id, i + 1, _current);
        }

        return history;
    }

    private static bool SamePlacement(Order current, Order next) =>
        current.Buyer == next.Buyer && ReferenceEquals(current.Lines, next.Lines) && current.Shipping == next.Shipping && current.Tax == next.Tax;

    private RecordedCommand Recorded(int position) => new(At(position).Version(position), At(position).Fingerprint);

    private ref StoredEvent At(int position) =>
        ref position < InlineCapacity ? ref _inline[position] : ref _more![position - InlineCapacity];

    [InlineArray(InlineCapacity)]
    private struct InlineEvents
    {
        private StoredEvent _first;
    }
}
