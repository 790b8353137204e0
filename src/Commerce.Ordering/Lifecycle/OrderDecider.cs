namespace Commerce.Ordering;

/// <summary>What a command does to an order: an event to record, or a refusal naming the move it would have made.</summary>
internal readonly struct Decision
{
    private Decision(OrderEvent? change, CommerceError? refusal, OrderState? attempted)
    {
        Event = change;
        Refusal = refusal;
        Attempted = attempted;
    }

    public OrderEvent? Event { get; }

    public CommerceError? Refusal { get; }

    public OrderState? Attempted { get; }

    public static Decision Record(OrderEvent change) => new(change, null, null);

    public static Decision Refuse(CommerceError refusal, OrderState? attempted) => new(null, refusal, attempted);
}

/// <summary>
/// Decides the event a validated command records against the current order, checking every move against
/// <see cref="OrderStateMachine"/>. Pure: no I/O, no clock (the time and the event id are given).
/// </summary>
internal static class OrderDecider
{
    public static Decision Decide(Order? order, OrderCommand command, DateTimeOffset now, Guid eventId)
    {
        if (command is PlaceOrder place)
        {
            var initial = place.AwaitPayment ? OrderState.AwaitingPayment : OrderState.Pending;
            return Decision.Record(New(command, 1, eventId, now, OrderEventType.Placed, null, initial) with
            {
                Buyer = place.Buyer,
                Lines = [.. place.Lines],
                Shipping = place.Shipping ?? Money.Zero(place.Lines[0].UnitPrice.Currency),
                Tax = place.Tax ?? Money.Zero(place.Lines[0].UnitPrice.Currency),
            });
        }

        ArgumentNullException.ThrowIfNull(order);
        var from = order.State;
        switch (command)
        {
            case RequestPayment:
                return Move(order, command, now, eventId, OrderEventType.PaymentRequested, OrderState.AwaitingPayment);
            case MarkPaid paid:
                return Move(order, command, now, eventId, OrderEventType.Paid, OrderState.Paid, e => e with { PaymentId = paid.PaymentId });
            case CancelOrder:
                // A paid order's money goes back: the cancellation carries the refund request.
                return Move(order, command, now, eventId, OrderEventType.Cancelled, OrderState.Cancelled,
                    e => from == OrderState.Paid ? e with { Amount = order.Total - order.Refunded } : e);
            case RequestReturn:
                return Move(order, command, now, eventId, OrderEventType.ReturnRequested, OrderState.ReturnRequested);
            case ReceiveReturn:
                return Move(order, command, now, eventId, OrderEventType.ReturnReceived, OrderState.Returned);
            case ShipFulfilment ship:
                return MoveFulfilment(order, command, now, eventId, OrderEventType.FulfilmentShipped, ship.Seller, FulfilmentState.Shipped,
                    e => e with { Seller = ship.Seller, TrackingNumber = ship.TrackingNumber });
            case DeliverFulfilment deliver:
                return MoveFulfilment(order, command, now, eventId, OrderEventType.FulfilmentDelivered, deliver.Seller, FulfilmentState.Delivered,
                    e => e with { Seller = deliver.Seller });
            case RefundOrder refund:
                return Refund(order, refund, now, eventId);
            default:
                throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command));
        }
    }

    private static Decision Refund(Order order, RefundOrder refund, DateTimeOffset now, Guid eventId)
    {
        if (!OrderStateMachine.IsAllowed(OrderEventType.Refunded, order.State, OrderState.PartiallyRefunded)
            && !OrderStateMachine.IsAllowed(OrderEventType.Refunded, order.State, OrderState.Refunded))
        {
            return Refused(order, OrderState.Refunded, "refund");
        }

        if (refund.Amount.Currency != order.Currency)
        {
            throw new CommerceValidationException(OrderingErrorCodes.CurrencyMismatch,
                $"The refund is in {refund.Amount.Currency.Code}; the order is in {order.Currency.Code}.", nameof(refund.Amount));
        }

        var remaining = order.Total - order.Refunded;
        if (refund.Amount > remaining)
        {
            throw new CommerceValidationException(OrderingErrorCodes.RefundExceedsTotal,
                $"{order.Id} has {remaining} left to refund; {refund.Amount} is more.", nameof(refund.Amount));
        }

        var target = refund.Amount == remaining ? OrderState.Refunded : OrderState.PartiallyRefunded;
        return Move(order, refund, now, eventId, OrderEventType.Refunded, target, e => e with { Amount = refund.Amount });
    }

    private static Decision MoveFulfilment(
        Order order, OrderCommand command, DateTimeOffset now, Guid eventId, OrderEventType type, SellerId seller, FulfilmentState to,
        Func<OrderEvent, OrderEvent> complete)
    {
        var fulfilment = order.FindFulfilment(seller) ?? throw new CommerceValidationException(
            OrderingErrorCodes.UnknownFulfilment, $"{order.Id} has no fulfilment of seller {seller}.", "Seller");
        var fulfilments = OrderEvolution.Replace(order.Fulfilments, seller, f => f with { State = to });
        var target = OrderStateMachine.DeriveFromFulfilments(fulfilments);
        if (!OrderStateMachine.IsAllowed(type, order.State, target))
        {
            return Refused(order, target, OrderEventTypes.Name(type));
        }

        if (!OrderStateMachine.IsAllowed(type, fulfilment.State, to))
        {
            return Decision.Refuse(new CommerceError(OrderingErrorCodes.InvalidTransition,
                $"The fulfilment of seller {seller} in {order.Id} cannot go from {OrderStateMachine.Name(fulfilment.State)} to {OrderStateMachine.Name(to)}.",
                "Seller"), target);
        }

        return Decision.Record(complete(New(command, order.Version + 1, eventId, now, type, order.State, target)));
    }

    private static Decision Move(
        Order order, OrderCommand command, DateTimeOffset now, Guid eventId, OrderEventType type, OrderState target,
        Func<OrderEvent, OrderEvent>? complete = null)
    {
        if (!OrderStateMachine.IsAllowed(type, order.State, target))
        {
            return Refused(order, target, OrderEventTypes.Name(type));
        }

        var change = New(command, order.Version + 1, eventId, now, type, order.State, target);
        return Decision.Record(complete is null ? change : complete(change));
    }

    private static Decision Refused(Order order, OrderState target, string what) =>
        Decision.Refuse(new CommerceError(OrderingErrorCodes.InvalidTransition,
            $"{order.Id} cannot go from {OrderStateMachine.Name(order.State)} to {OrderStateMachine.Name(target)} ({what})."), target);

    private static OrderEvent New(OrderCommand command, long version, Guid eventId, DateTimeOffset now, OrderEventType type, OrderState? from, OrderState to) =>
        new(command.OrderId, version, eventId, type, command.CommandId, command.Actor, command.Reason, now, from, to);
}
