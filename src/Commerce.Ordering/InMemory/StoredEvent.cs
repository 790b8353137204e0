namespace Commerce.Ordering.InMemory;

/// <summary>
/// One event of an <see cref="OrderRecord"/>'s history, with the fingerprint of the command that caused it, as a
/// struct of 96 bytes instead of an <see cref="OrderEvent"/> object of 264: the order id and the version come from the
/// record, a placed event's buyer, lines, shipping and tax from the order (which keeps them unchanged), and the data
/// of the other events sits in three shared slots. An event that does not fit that shape (only one built by hand,
/// not by <see cref="OrderService"/>, can fail to) is kept whole in <see cref="_slot"/>: compact or not,
/// <see cref="ToEvent"/> returns an event equal to the one appended.
/// </summary>
internal struct StoredEvent
{
    /// <summary><see cref="_flags"/>: a placed event whose buyer, lines, shipping and tax are the order's.</summary>
    public const byte Placement = 1;

    private const byte HasPaymentId = 2;
    private const byte HasSeller = 4;
    private const byte HasAmount = 8;
    private const byte HasFromState = 16;
    private const byte IsWhole = 32;

    private Guid _eventId;
    private CommandId _commandId;
    private string? _actor;
    private string? _reason;
    private long _occurredAtUtcTicks;
    private long _amount;

    // The payment id or the seller id (their text), or the whole event.
    private object? _slot;

    // The tracking number, or the amount's currency code.
    private string? _text;
    private short _offsetMinutes;
    private byte _type;
    private byte _fromState;
    private byte _toState;
    private byte _flags;

    /// <summary>The fingerprint of the command's body.</summary>
    public Guid Fingerprint { get; private set; }

    /// <summary>The id of the command that caused the event.</summary>
    public readonly CommandId CommandId => _commandId;

    /// <summary>The event's version: its position's, unless it is kept whole (a hand-made history may number events otherwise).</summary>
    public readonly long Version(int position) => (_flags & IsWhole) != 0 ? ((OrderEvent)_slot!).Version : position + 1;

    /// <summary>Whether the event is rebuilt with <paramref name="flag"/>'s data taken from the order.</summary>
    public readonly bool Rebuilds(byte flag) => (_flags & (flag | IsWhole)) == flag;

    /// <summary>The compact form of <paramref name="change"/> at <paramref name="position"/> of the history of <paramref name="order"/>, or the event whole.</summary>
    public static StoredEvent From(OrderEvent change, Order order, Guid fingerprint, int position) =>
        TryCompact(change, order, fingerprint, position, out var stored) ? stored : Whole(change, fingerprint);

    /// <summary>Keeps an event as it is.</summary>
    public static StoredEvent Whole(OrderEvent change, Guid fingerprint) => new()
    {
        _commandId = change.CommandId,
        Fingerprint = fingerprint,
        _slot = change,
        _flags = IsWhole,
    };

    /// <summary>The event, equal to the one appended. <paramref name="current"/> is the order now: it still has the placed event's data.</summary>
    public readonly OrderEvent ToEvent(OrderId orderId, long version, Order current)
    {
        if ((_flags & IsWhole) != 0)
        {
            return (OrderEvent)_slot!;
        }

        var placement = (_flags & Placement) != 0;
        var amount = (_flags & HasAmount) != 0;
        return new OrderEvent(
            orderId,
            version,
            _eventId,
            (OrderEventType)_type,
            _commandId,
            _actor!,
            _reason,
            new DateTimeOffset(_occurredAtUtcTicks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(_offsetMinutes)),
            (_flags & HasFromState) != 0 ? (OrderState)_fromState : null,
            (OrderState)_toState)
        {
            Buyer = placement ? current.Buyer : null,
            Lines = placement ? current.Lines : null,
            Shipping = placement ? current.Shipping : null,
            Tax = placement ? current.Tax : null,
            PaymentId = (_flags & HasPaymentId) != 0 ? new PaymentId((string)_slot!) : null,
            Seller = (_flags & HasSeller) != 0 ? new SellerId((string)_slot!) : null,
            TrackingNumber = amount ? null : _text,
            Amount = amount ? new Money(_amount, Currency.FromCode(_text!)) : null,
        };
    }

    private static bool TryCompact(OrderEvent change, Order order, Guid fingerprint, int position, out StoredEvent stored)
    {
        stored = default;
        // The order id is the record's (the store files every event under its order id); the version is the position's.
        if (change.Version != position + 1
            || (uint)change.Type > byte.MaxValue
            || (uint)change.ToState > byte.MaxValue
            || (change.FromState is { } from && (uint)from > byte.MaxValue))
        {
            return false;
        }

        byte flags = 0;
        if (change.Buyer is not null || change.Lines is not null || change.Shipping is not null || change.Tax is not null)
        {
            // Rebuilt from the order, so only when the order holds exactly these.
            if (position != 0
                || change.Buyer != order.Buyer
                || !ReferenceEquals(change.Lines, order.Lines)
                || change.Shipping != order.Shipping
                || change.Tax != order.Tax)
            {
                return false;
            }

            flags |= Placement;
        }

        object? slot = null;
        if (change.PaymentId is { } paymentId)
        {
            if (paymentId.IsEmpty || change.Seller is not null)
            {
                return false;
            }

            slot = paymentId.Value;
            flags |= HasPaymentId;
        }
        else if (change.Seller is { } seller)
        {
            if (seller.IsEmpty)
            {
                return false;
            }

            slot = seller.Value;
            flags |= HasSeller;
        }

        var text = change.TrackingNumber;
        long amount = 0;
        if (change.Amount is { } money)
        {
            if (money.Currency == default || text is not null)
            {
                return false;
            }

            text = money.Currency.Code;
            amount = money.MinorUnits;
            flags |= HasAmount;
        }

        if (change.FromState is not null)
        {
            flags |= HasFromState;
        }

        stored = new StoredEvent
        {
            _eventId = change.EventId,
            _commandId = change.CommandId,
            Fingerprint = fingerprint,
            _actor = change.Actor,
            _reason = change.Reason,
            _occurredAtUtcTicks = change.OccurredAt.UtcTicks,
            _offsetMinutes = (short)change.OccurredAt.TotalOffsetMinutes,
            _amount = amount,
            _slot = slot,
            _text = text,
            _type = (byte)change.Type,
            _fromState = (byte)(change.FromState ?? 0),
            _toState = (byte)change.ToState,
            _flags = flags,
        };
        return true;
    }
}
