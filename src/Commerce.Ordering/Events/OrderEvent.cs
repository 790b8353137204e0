namespace Commerce.Ordering;

/// <summary>What happened to an order; each kind of event is one declared trigger of <see cref="OrderStateMachine"/>.</summary>
public enum OrderEventType
{
    /// <summary>The order was placed (<see cref="OrderEventTypes.Placed"/>).</summary>
    Placed = 1,

    /// <summary>A pending order started waiting for payment.</summary>
    PaymentRequested = 2,

    /// <summary>The order was paid.</summary>
    Paid = 3,

    /// <summary>The order was cancelled; when it had been paid, the event carries a refund request.</summary>
    Cancelled = 4,

    /// <summary>A seller shipped its fulfilment.</summary>
    FulfilmentShipped = 5,

    /// <summary>A seller's fulfilment was delivered.</summary>
    FulfilmentDelivered = 6,

    /// <summary>The buyer asked to return the order.</summary>
    ReturnRequested = 7,

    /// <summary>The returned goods arrived.</summary>
    ReturnReceived = 8,

    /// <summary>Money was refunded.</summary>
    Refunded = 9,
}

/// <summary>
/// One change in an order's history: who made it, when, why, under which command id, the state before and after, and
/// the data of the change. Events are numbered 1, 2, 3... per order (<see cref="Version"/>); folding them with
/// <see cref="Order.FromHistory"/> gives the order. Each event is published once through the outbox under
/// <see cref="EventId"/>, which consumers dedupe on.
/// </summary>
/// <param name="OrderId">The order.</param>
/// <param name="Version">The event's position in the order's history, from 1.</param>
/// <param name="EventId">The event's unique id, stable across redeliveries.</param>
/// <param name="Type">What happened.</param>
/// <param name="CommandId">The command that caused it; a command id appears at most once per order.</param>
/// <param name="Actor">Who made the change (a user, a seller, a service).</param>
/// <param name="Reason">Why, when given.</param>
/// <param name="OccurredAt">When, from the service's <see cref="TimeProvider"/>, in whole microseconds.</param>
/// <param name="FromState">The order's state before; null for <see cref="OrderEventType.Placed"/>.</param>
/// <param name="ToState">The order's state after.</param>
public sealed record OrderEvent(
    OrderId OrderId,
    long Version,
    Guid EventId,
    OrderEventType Type,
    CommandId CommandId,
    string Actor,
    string? Reason,
    DateTimeOffset OccurredAt,
    OrderState? FromState,
    OrderState ToState)
{
    // The optional data is stored without Nullable<T> wrappers and amounts as minor units and a currency code: an event
    // is 200 bytes instead of 264, and every command makes one. _present says which values are set, so every value a
    // property can take (including a default id or amount) reads back as it was given, and equality is unchanged.
    private const byte HasBuyer = 1;
    private const byte HasShipping = 2;
    private const byte HasTax = 4;
    private const byte HasSeller = 8;
    private const byte HasAmount = 16;
    private const byte HasPaymentId = 32;

    private readonly BuyerId _buyer;
    private readonly SellerId _seller;
    private readonly PaymentId _paymentId;
    private readonly long _shipping;
    private readonly long _tax;
    private readonly long _amount;
    private readonly string? _shippingCurrency;
    private readonly string? _taxCurrency;
    private readonly string? _amountCurrency;
    private readonly byte _present;

    /// <summary>Placed: the buyer.</summary>
    public BuyerId? Buyer
    {
        get => Has(HasBuyer) ? _buyer : null;
        init => (_buyer, _present) = (value.GetValueOrDefault(), Mark(HasBuyer, value.HasValue));
    }

    /// <summary>Placed: the lines.</summary>
    public IReadOnlyList<OrderLine>? Lines { get; init; }

    /// <summary>Placed: shipping.</summary>
    public Money? Shipping
    {
        get => Has(HasShipping) ? ToMoney(_shipping, _shippingCurrency) : null;
        init => (_shipping, _shippingCurrency, _present) = (value.GetValueOrDefault().MinorUnits, CodeOf(value), Mark(HasShipping, value.HasValue));
    }

    /// <summary>Placed: tax.</summary>
    public Money? Tax
    {
        get => Has(HasTax) ? ToMoney(_tax, _taxCurrency) : null;
        init => (_tax, _taxCurrency, _present) = (value.GetValueOrDefault().MinorUnits, CodeOf(value), Mark(HasTax, value.HasValue));
    }

    /// <summary>Fulfilment events: the seller whose fulfilment moved.</summary>
    public SellerId? Seller
    {
        get => Has(HasSeller) ? _seller : null;
        init => (_seller, _present) = (value.GetValueOrDefault(), Mark(HasSeller, value.HasValue));
    }

    /// <summary>Fulfilment shipped: the tracking number.</summary>
    public string? TrackingNumber { get; init; }

    /// <summary>Refunded: the amount refunded. Cancelled after payment: the refund requested.</summary>
    public Money? Amount
    {
        get => Has(HasAmount) ? ToMoney(_amount, _amountCurrency) : null;
        init => (_amount, _amountCurrency, _present) = (value.GetValueOrDefault().MinorUnits, CodeOf(value), Mark(HasAmount, value.HasValue));
    }

    /// <summary>Paid: the payment, when the caller named it.</summary>
    public PaymentId? PaymentId
    {
        get => Has(HasPaymentId) ? _paymentId : null;
        init => (_paymentId, _present) = (value.GetValueOrDefault(), Mark(HasPaymentId, value.HasValue));
    }

    /// <summary>The event type's wire name, for example <c>ordering.order.paid</c>.</summary>
    public string TypeName => OrderEventTypes.Name(Type);

    private bool Has(byte value) => (_present & value) != 0;

    private byte Mark(byte value, bool present) => (byte)(present ? _present | value : _present & ~value);

    // Every Currency is the one of its code (or the default, which has none), so the code alone keeps it.
    private static string? CodeOf(Money? amount) => amount is { Currency: var currency } && currency != default ? currency.Code : null;

    private static Money ToMoney(long minorUnits, string? currency) => currency is null ? default : new Money(minorUnits, Currency.FromCode(currency));
}

/// <summary>The event types ordering writes to its outbox (<see cref="Commerce.Events.EventEnvelope.EventType"/>); the payload is an <see cref="OrderEventPayload"/>.</summary>
public static class OrderEventTypes
{
    /// <summary>An order was placed.</summary>
    public const string Placed = "ordering.order.placed";

    /// <summary>A pending order started waiting for payment.</summary>
    public const string PaymentRequested = "ordering.order.payment_requested";

    /// <summary>An order was paid.</summary>
    public const string Paid = "ordering.order.paid";

    /// <summary>An order was cancelled. When it had been paid, <see cref="OrderEventPayload.RefundRequested"/> is set: refund that amount.</summary>
    public const string Cancelled = "ordering.order.cancelled";

    /// <summary>A seller's fulfilment shipped.</summary>
    public const string FulfilmentShipped = "ordering.fulfilment.shipped";

    /// <summary>A seller's fulfilment was delivered.</summary>
    public const string FulfilmentDelivered = "ordering.fulfilment.delivered";

    /// <summary>The buyer asked to return an order.</summary>
    public const string ReturnRequested = "ordering.order.return_requested";

    /// <summary>The returned goods arrived.</summary>
    public const string ReturnReceived = "ordering.order.return_received";

    /// <summary>Money was refunded.</summary>
    public const string Refunded = "ordering.order.refunded";

    /// <summary>The wire name of an event type.</summary>
    public static string Name(OrderEventType type) => type switch
    {
        OrderEventType.Placed => Placed,
        OrderEventType.PaymentRequested => PaymentRequested,
        OrderEventType.Paid => Paid,
        OrderEventType.Cancelled => Cancelled,
        OrderEventType.FulfilmentShipped => FulfilmentShipped,
        OrderEventType.FulfilmentDelivered => FulfilmentDelivered,
        OrderEventType.ReturnRequested => ReturnRequested,
        OrderEventType.ReturnReceived => ReturnReceived,
        OrderEventType.Refunded => Refunded,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    internal static OrderEventType Parse(string name) => name switch
    {
        Placed => OrderEventType.Placed,
        PaymentRequested => OrderEventType.PaymentRequested,
        Paid => OrderEventType.Paid,
        Cancelled => OrderEventType.Cancelled,
        FulfilmentShipped => OrderEventType.FulfilmentShipped,
        FulfilmentDelivered => OrderEventType.FulfilmentDelivered,
        ReturnRequested => OrderEventType.ReturnRequested,
        ReturnReceived => OrderEventType.ReturnReceived,
        Refunded => OrderEventType.Refunded,
        _ => throw new FormatException($"'{name}' is not an ordering event type."),
    };
}
