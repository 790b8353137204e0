namespace Commerce.Ordering;

/// <summary>
/// An order as its history left it: the buyer, the lines, the totals, one fulfilment per seller and the state. Orders
/// are immutable snapshots; every change is an <see cref="OrderEvent"/>, and <see cref="FromHistory"/> rebuilds an
/// order from its events exactly. Two orders are equal when every field is.
/// </summary>
public sealed class Order : IEquatable<Order>
{
    private const byte HasRefundRequested = 1;
    private const byte HasPaymentId = 2;

    // Amounts are minor units of Currency (a Money is 24 bytes, its currency repeated): an order is 168 bytes instead
    // of 280, which counts when a store keeps millions of them and every command makes a new one. Shipping and tax are
    // in the order's currency by construction (the total adds them); refunds in another currency, which no
    // OrderService order has, are kept as given in _otherCurrency.
    private readonly long _subtotal;
    private readonly long _shipping;
    private readonly long _tax;
    private readonly long _refunded;
    private readonly long _refundRequested;
    private readonly PaymentId _paymentId;
    private readonly OtherCurrencyRefunds? _otherCurrency;
    private readonly byte _flags;

    internal Order(
        OrderId id,
        BuyerId buyer,
        Currency currency,
        IReadOnlyList<OrderLine> lines,
        Money shipping,
        Money tax,
        OrderState state,
        IReadOnlyList<Fulfilment> fulfilments,
        long version,
        DateTimeOffset placedAt,
        DateTimeOffset updatedAt,
        Money refunded,
        Money? refundRequested,
        PaymentId? paymentId)
    {
        Id = id;
        Buyer = buyer;
        Currency = currency;
        Lines = lines;
        State = state;
        Fulfilments = fulfilments;
        Version = version;
        PlacedAt = placedAt;
        UpdatedAt = updatedAt;
        var subtotal = Money.Zero(currency);
        for (var i = 0; i < lines.Count; i++)
        {
            subtotal += lines[i].LineTotal;
        }

        // Checked: throws when shipping or tax is in another currency or the total overflows, as it always did.
        _ = subtotal + shipping + tax;
        _subtotal = subtotal.MinorUnits;
        _shipping = shipping.MinorUnits;
        _tax = tax.MinorUnits;
        if (refunded.Currency != currency || (refundRequested is { } requested && requested.Currency != currency))
        {
            _otherCurrency = new OtherCurrencyRefunds(refunded, refundRequested);
        }

        _refunded = refunded.MinorUnits;
        _refundRequested = refundRequested?.MinorUnits ?? 0;
        _paymentId = paymentId.GetValueOrDefault();
        _flags = (byte)((refundRequested is null ? 0 : HasRefundRequested) | (paymentId is null ? 0 : HasPaymentId));
    }

    /// <summary>A copy with the fields a later event changes; everything fixed at placement is taken over as it is.</summary>
    private Order(Order order, OrderState state, long version, DateTimeOffset updatedAt, IReadOnlyList<Fulfilment> fulfilments,
        Money refunded, Money? refundRequested, PaymentId? paymentId)
    {
        Id = order.Id;
        Buyer = order.Buyer;
        Currency = order.Currency;
        Lines = order.Lines;
        PlacedAt = order.PlacedAt;
        _subtotal = order._subtotal;
        _shipping = order._shipping;
        _tax = order._tax;
        State = state;
        Fulfilments = fulfilments;
        Version = version;
        UpdatedAt = updatedAt;
        if (refunded.Currency != Currency || (refundRequested is { } requested && requested.Currency != Currency))
        {
            _otherCurrency = new OtherCurrencyRefunds(refunded, refundRequested);
        }

        _refunded = refunded.MinorUnits;
        _refundRequested = refundRequested?.MinorUnits ?? 0;
        _paymentId = paymentId.GetValueOrDefault();
        _flags = (byte)((refundRequested is null ? 0 : HasRefundRequested) | (paymentId is null ? 0 : HasPaymentId));
    }

    /// <summary>The order's id.</summary>
    public OrderId Id { get; }

    /// <summary>The buyer.</summary>
    public BuyerId Buyer { get; }

    /// <summary>The order's one currency.</summary>
    public Currency Currency { get; }

    /// <summary>The lines, in the order they were placed.</summary>
    public IReadOnlyList<OrderLine> Lines { get; }

    /// <summary>The sum of the line totals.</summary>
    public Money Subtotal => new(_subtotal, Currency);

    /// <summary>Shipping, as the caller gave it.</summary>
    public Money Shipping => new(_shipping, Currency);

    /// <summary>Tax, as the caller gave it.</summary>
    public Money Tax => new(_tax, Currency);

    /// <summary>Subtotal + shipping + tax.</summary>
    public Money Total => new(_subtotal + _shipping + _tax, Currency);

    /// <summary>How much has been refunded so far.</summary>
    public Money Refunded => _otherCurrency?.Refunded ?? new(_refunded, Currency);

    /// <summary>Set when a paid order was cancelled: the amount the payment side must refund.</summary>
    public Money? RefundRequested => _otherCurrency is { } other ? other.RefundRequested
        : (_flags & HasRefundRequested) != 0 ? new Money(_refundRequested, Currency) : null;

    /// <summary>The payment that paid the order, when the caller named it.</summary>
    public PaymentId? PaymentId => (_flags & HasPaymentId) != 0 ? _paymentId : null;

    /// <summary>The current state.</summary>
    public OrderState State { get; }

    /// <summary>One fulfilment per seller, ordered by seller id.</summary>
    public IReadOnlyList<Fulfilment> Fulfilments { get; }

    /// <summary>The number of events in the order's history; the version of its latest event.</summary>
    public long Version { get; }

    /// <summary>When the order was placed.</summary>
    public DateTimeOffset PlacedAt { get; }

    /// <summary>When the order last changed.</summary>
    public DateTimeOffset UpdatedAt { get; }

    /// <summary>Returns the fulfilment of a seller, or null when the seller has no line in this order.</summary>
    public Fulfilment? FindFulfilment(SellerId seller)
    {
        var fulfilments = Fulfilments;
        for (var i = 0; i < fulfilments.Count; i++)
        {
            if (fulfilments[i].Seller == seller)
            {
                return fulfilments[i];
            }
        }

        return null;
    }

    /// <summary>Rebuilds an order from its complete history, oldest event first.</summary>
    /// <exception cref="ArgumentException">The history is empty, out of order, or belongs to several orders.</exception>
    public static Order FromHistory(IEnumerable<OrderEvent> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        Order? order = null;
        foreach (var change in history)
        {
            if (change.Version != (order?.Version ?? 0) + 1 || (order is not null && change.OrderId != order.Id))
            {
                throw new ArgumentException($"Event {change.Version} of {change.OrderId} does not follow version {order?.Version ?? 0}.", nameof(history));
            }

            order = OrderEvolution.Apply(order, change);
        }

        return order ?? throw new ArgumentException("An order's history has at least one event.", nameof(history));
    }

    internal Order With(
        OrderState state,
        long version,
        DateTimeOffset updatedAt,
        IReadOnlyList<Fulfilment>? fulfilments = null,
        Money? refunded = null,
        Money? refundRequested = null,
        PaymentId? paymentId = null) =>
        new(this, state, version, updatedAt, fulfilments ?? Fulfilments, refunded ?? Refunded, refundRequested ?? RefundRequested, paymentId ?? PaymentId);

    /// <inheritdoc />
    public bool Equals(Order? other) =>
        other is not null
        && Id == other.Id
        && Buyer == other.Buyer
        && Currency == other.Currency
        && Lines.SequenceEqual(other.Lines)
        && Shipping == other.Shipping
        && Tax == other.Tax
        && State == other.State
        && Fulfilments.SequenceEqual(other.Fulfilments)
        && Version == other.Version
        && PlacedAt == other.PlacedAt
        && UpdatedAt == other.UpdatedAt
        && Refunded == other.Refunded
        && RefundRequested == other.RefundRequested
        && PaymentId == other.PaymentId;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Order);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Id, Version, State);

    /// <inheritdoc />
    public override string ToString() => $"{Id} v{Version}: {State}, {Total}";

    /// <summary>Refund amounts in another currency than the order's: never made by <see cref="OrderService"/>, kept exactly as given.</summary>
    private sealed record OtherCurrencyRefunds(Money Refunded, Money? RefundRequested);
}
