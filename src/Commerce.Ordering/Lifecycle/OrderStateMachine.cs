using System.Collections.Frozen;

namespace Commerce.Ordering;

/// <summary>One declared move of an order: an event of type <paramref name="Event"/> takes it from <paramref name="From"/> to <paramref name="To"/>.</summary>
/// <param name="Event">What happens.</param>
/// <param name="From">The state before, or null for the event that creates the order.</param>
/// <param name="To">The state after.</param>
public readonly record struct OrderTransition(OrderEventType Event, OrderState? From, OrderState To);

/// <summary>One declared move of a seller's fulfilment.</summary>
/// <param name="Event">What happens.</param>
/// <param name="From">The fulfilment's state before.</param>
/// <param name="To">The fulfilment's state after.</param>
public readonly record struct FulfilmentTransition(OrderEventType Event, FulfilmentState From, FulfilmentState To);

/// <summary>
/// Every state an order and a fulfilment can be in and every move between them, in one table. Nothing else decides
/// whether a change is allowed: a command whose outcome is not a row here is refused with
/// <see cref="OrderingErrorCodes.InvalidTransition"/> and writes nothing.
/// </summary>
/// <remarks>
/// Where one event can lead to several states, the order's data decides which: shipping or delivering a fulfilment
/// derives the order's state from all its fulfilments; a refund leads to <see cref="OrderState.Refunded"/> once the
/// whole total is refunded. Cancelling a paid order records a refund request of the amount paid.
/// </remarks>
public static class OrderStateMachine
{
    private static readonly OrderTransition[] OrderTable =
    [
        //  event                                    from                             to
        new(OrderEventType.Placed,                  null,                            OrderState.Pending),
        new(OrderEventType.Placed,                  null,                            OrderState.AwaitingPayment),
        new(OrderEventType.PaymentRequested,        OrderState.Pending,              OrderState.AwaitingPayment),
        new(OrderEventType.Paid,                    OrderState.AwaitingPayment,      OrderState.Paid),
        new(OrderEventType.Cancelled,               OrderState.Pending,              OrderState.Cancelled),
        new(OrderEventType.Cancelled,               OrderState.AwaitingPayment,      OrderState.Cancelled),
        new(OrderEventType.Cancelled,               OrderState.Paid,                 OrderState.Cancelled),
        new(OrderEventType.FulfilmentShipped,       OrderState.Paid,                 OrderState.PartiallyShipped),
        new(OrderEventType.FulfilmentShipped,       OrderState.Paid,                 OrderState.Shipped),
        new(OrderEventType.FulfilmentShipped,       OrderState.PartiallyShipped,     OrderState.PartiallyShipped),
        new(OrderEventType.FulfilmentShipped,       OrderState.PartiallyShipped,     OrderState.Shipped),
        new(OrderEventType.FulfilmentDelivered,     OrderState.PartiallyShipped,     OrderState.PartiallyShipped),
        new(OrderEventType.FulfilmentDelivered,     OrderState.Shipped,              OrderState.Shipped),
        new(OrderEventType.FulfilmentDelivered,     OrderState.Shipped,              OrderState.Delivered),
        new(OrderEventType.ReturnRequested,         OrderState.Delivered,            OrderState.ReturnRequested),
        new(OrderEventType.ReturnReceived,          OrderState.ReturnRequested,      OrderState.Returned),
        new(OrderEventType.Refunded,                OrderState.Paid,                 OrderState.PartiallyRefunded),
        new(OrderEventType.Refunded,                OrderState.Paid,                 OrderState.Refunded),
        new(OrderEventType.Refunded,                OrderState.Delivered,            OrderState.PartiallyRefunded),
        new(OrderEventType.Refunded,                OrderState.Delivered,            OrderState.Refunded),
        new(OrderEventType.Refunded,                OrderState.Returned,             OrderState.PartiallyRefunded),
        new(OrderEventType.Refunded,                OrderState.Returned,             OrderState.Refunded),
        new(OrderEventType.Refunded,                OrderState.PartiallyRefunded,    OrderState.PartiallyRefunded),
        new(OrderEventType.Refunded,                OrderState.PartiallyRefunded,    OrderState.Refunded),
    ];

    private static readonly FulfilmentTransition[] FulfilmentTable =
    [
        //  event                                    from                             to
        new(OrderEventType.FulfilmentShipped,       FulfilmentState.Pending,         FulfilmentState.Shipped),
        new(OrderEventType.FulfilmentDelivered,     FulfilmentState.Shipped,         FulfilmentState.Delivered),
    ];

    private static readonly FrozenSet<OrderTransition> OrderSet = OrderTable.ToFrozenSet();
    private static readonly FrozenSet<FulfilmentTransition> FulfilmentSet = FulfilmentTable.ToFrozenSet();

    /// <summary>Every allowed move of an order.</summary>
    public static IReadOnlyList<OrderTransition> Transitions => OrderTable;

    /// <summary>Every allowed move of a fulfilment.</summary>
    public static IReadOnlyList<FulfilmentTransition> FulfilmentTransitions => FulfilmentTable;

    /// <summary>Whether <paramref name="event"/> may take an order from <paramref name="from"/> (null: not yet created) to <paramref name="to"/>.</summary>
    public static bool IsAllowed(OrderEventType @event, OrderState? from, OrderState to) => OrderSet.Contains(new(@event, from, to));

    /// <summary>Whether <paramref name="event"/> may take a fulfilment from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsAllowed(OrderEventType @event, FulfilmentState from, FulfilmentState to) => FulfilmentSet.Contains(new(@event, from, to));

    /// <summary>The wire name of a state, as events and errors spell it: <c>awaiting_payment</c>.</summary>
    public static string Name(OrderState state) => state switch
    {
        OrderState.Pending => "pending",
        OrderState.AwaitingPayment => "awaiting_payment",
        OrderState.Paid => "paid",
        OrderState.PartiallyShipped => "partially_shipped",
        OrderState.Shipped => "shipped",
        OrderState.Delivered => "delivered",
        OrderState.Cancelled => "cancelled",
        OrderState.PartiallyRefunded => "partially_refunded",
        OrderState.Refunded => "refunded",
        OrderState.ReturnRequested => "return_requested",
        OrderState.Returned => "returned",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>The wire name of a fulfilment state: <c>pending</c>, <c>shipped</c>, <c>delivered</c>.</summary>
    public static string Name(FulfilmentState state) => state switch
    {
        FulfilmentState.Pending => "pending",
        FulfilmentState.Shipped => "shipped",
        FulfilmentState.Delivered => "delivered",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    internal static OrderState ParseState(string name)
    {
        foreach (var state in Enum.GetValues<OrderState>())
        {
            if (Name(state) == name)
            {
                return state;
            }
        }

        throw new FormatException($"'{name}' is not an order state.");
    }

    internal static FulfilmentState ParseFulfilmentState(string name) => name switch
    {
        "pending" => FulfilmentState.Pending,
        "shipped" => FulfilmentState.Shipped,
        "delivered" => FulfilmentState.Delivered,
        _ => throw new FormatException($"'{name}' is not a fulfilment state."),
    };

    /// <summary>An order's state while it is being fulfilled, derived from its fulfilments.</summary>
    internal static OrderState DeriveFromFulfilments(IReadOnlyList<Fulfilment> fulfilments) => Derive(fulfilments, default, default);

    /// <summary>The state an order would be in once <paramref name="seller"/>'s fulfilment is in <paramref name="state"/>, without building those fulfilments.</summary>
    internal static OrderState DeriveFromFulfilments(IReadOnlyList<Fulfilment> fulfilments, SellerId seller, FulfilmentState state) =>
        Derive(fulfilments, seller, state);

    private static OrderState Derive(IReadOnlyList<Fulfilment> fulfilments, SellerId changed, FulfilmentState changedTo)
    {
        var pending = 0;
        var delivered = 0;
        for (var i = 0; i < fulfilments.Count; i++)
        {
            var fulfilment = fulfilments[i];
            var state = !changed.IsEmpty && fulfilment.Seller == changed ? changedTo : fulfilment.State;
            if (state == FulfilmentState.Pending)
            {
                pending++;
            }
            else if (state == FulfilmentState.Delivered)
            {
                delivered++;
            }
        }

        return pending == fulfilments.Count ? OrderState.Paid
            : pending > 0 ? OrderState.PartiallyShipped
            : delivered == fulfilments.Count ? OrderState.Delivered
            : OrderState.Shipped;
    }
}
