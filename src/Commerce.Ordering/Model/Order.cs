namespace Commerce.Ordering;

/// <summary>
/// An order as its history left it: the buyer, the lines, the totals, one fulfilment per seller and the state. Orders
/// are immutable snapshots; every change is an <see cref="OrderEvent"/>, and <see cref="FromHistory"/> rebuilds an
/// order from its events exactly. Two orders are equal when every field is.
/// </summary>
public sealed class Order : IEquatable<Order>
{
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
        Shipping = shipping;
        Tax = tax;
        State = state;
        Fulfilments = fulfilments;
        Version = version;
        PlacedAt = placedAt;
        UpdatedAt = updatedAt;
        Refunded = refunded;
        RefundRequested = refundRequested;
        PaymentId = paymentId;
        var subtotal = Money.Zero(currency);
        for (var i = 0; i < lines.Count; i++)
        {
            subtotal += lines[i].LineTotal;
        }

        Subtotal = subtotal;
        Total = subtotal + shipping + tax;
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
    public Money Subtotal { get; }

    /// <summary>Shipping, as the caller gave it.</summary>
    public Money Shipping { get; }

    /// <summary>Tax, as the caller gave it.</summary>
    public Money Tax { get; }

    /// <summary>Subtotal + shipping + tax.</summary>
    public Money Total { get; }

    /// <summary>How much has been refunded so far.</summary>
    public Money Refunded { get; }

    /// <summary>Set when a paid order was cancelled: the amount the payment side must refund.</summary>
    public Money? RefundRequested { get; }

    /// <summary>The payment that paid the order, when the caller named it.</summary>
    public PaymentId? PaymentId { get; }

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
        new(Id, Buyer, Currency, Lines, Shipping, Tax, state, fulfilments ?? Fulfilments, version, PlacedAt, updatedAt,
            refunded ?? Refunded, refundRequested ?? RefundRequested, paymentId ?? PaymentId);

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
}
