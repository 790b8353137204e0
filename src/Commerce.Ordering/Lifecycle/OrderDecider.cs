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
    // Each event is built once with all its fields (no `with` copies, no completion delegates): a decision allocates
    // the event and nothing else.
    public static Decision Decide(Order? order, OrderCommand command, DateTimeOffset now, Guid eventId)
    {
        if (command is PlaceOrder place)
        {
            var initial = place.AwaitPayment ? OrderState.AwaitingPayment : OrderState.Pending;
            var currency = place.Lines[0].UnitPrice.Currency;
            return Decision.Record(new OrderEvent(command.OrderId, 1, eventId, OrderEventType.Placed, command.CommandId, command.Actor, command.Reason, now, null, initial)
            {
                Buyer = place.Buyer,
                Lines = CopyLines(place.Lines),
                Shipping = place.Shipping ?? Money.Zero(currency),
                Tax = place.Tax ?? Money.Zero(currency),
            });
        }

        ArgumentNullException.ThrowIfNull(order);
        switch (command)
        {
            case RequestPayment:
                return Move(order, command, now, eventId, OrderEventType.PaymentRequested, OrderState.AwaitingPayment);
            case MarkPaid paid:
                return Refusal(order, OrderEventType.Paid, OrderState.Paid) is { } notPaid
                    ? notPaid
                    : Decision.Record(new OrderEvent(
                        command.OrderId, order.Version + 1, eventId, OrderEventType.Paid, command.CommandId, command.Actor, command.Reason, now, order.State, OrderState.Paid)
                    {
                        PaymentId = paid.PaymentId,
                    });
            case CancelOrder:
                if (Refusal(order, OrderEventType.Cancelled, OrderState.Cancelled) is { } notCancelled)
                {
                    return notCancelled;
                }

                // A paid order's money goes back: the cancellation carries the refund request.
                return Decision.Record(new OrderEvent(
                    command.OrderId, order.Version + 1, eventId, OrderEventType.Cancelled, command.CommandId, command.Actor, command.Reason, now, order.State, OrderState.Cancelled)
                {
                    Amount = order.State == OrderState.Paid ? order.Total - order.Refunded : null,
                });
            case RequestReturn:
                return Move(order, command, now, eventId, OrderEventType.ReturnRequested, OrderState.ReturnRequested);
            case ReceiveReturn:
                return Move(order, command, now, eventId, OrderEventType.ReturnReceived, OrderState.Returned);
            case ShipFulfilment ship:
                return MoveFulfilment(order, command, now, eventId, OrderEventType.FulfilmentShipped, ship.Seller, FulfilmentState.Shipped, ship.TrackingNumber);
            case DeliverFulfilment deliver:
                return MoveFulfilment(order, command, now, eventId, OrderEventType.FulfilmentDelivered, deliver.Seller, FulfilmentState.Delivered, null);
            case RefundOrder refund:
                return Refund(order, refund, now, eventId);
            default:
                throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command));
        }
    }

    /// <summary>The placed lines as the order keeps them: a copy, so that the caller's list can change afterwards.</summary>
    private static OrderLine[] CopyLines(IReadOnlyList<OrderLine> lines)
    {
        var copy = new OrderLine[lines.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = lines[i];
        }

        return copy;
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
        return Refusal(order, OrderEventType.Refunded, target) is { } refused
            ? refused
            : Decision.Record(new OrderEvent(
                refund.OrderId, order.Version + 1, eventId, OrderEventType.Refunded, refund.CommandId, refund.Actor, refund.Reason, now, order.State, target)
            {
                Amount = refund.Amount,
            });
    }

    private static Decision MoveFulfilment(
        Order order, OrderCommand command, DateTimeOffset now, Guid eventId, OrderEventType type, SellerId seller, FulfilmentState to, string? trackingNumber)
    {
        var fulfilment = order.FindFulfilment(seller) ?? throw new CommerceValidationException(
            OrderingErrorCodes.UnknownFulfilment, $"{order.Id} has no fulfilment of seller {seller}.", "Seller");
        var target = OrderStateMachine.DeriveFromFulfilments(order.Fulfilments, seller, to);
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

        return Decision.Record(new OrderEvent(
            command.OrderId, order.Version + 1, eventId, type, command.CommandId, command.Actor, command.Reason, now, order.State, target)
        {
            Seller = seller,
            TrackingNumber = trackingNumber,
        });
    }

    /// <summary>A move whose event carries no data of its own.</summary>
    private static Decision Move(Order order, OrderCommand command, DateTimeOffset now, Guid eventId, OrderEventType type, OrderState target) =>
        Refusal(order, type, target) is { } refused
            ? refused
            : Decision.Record(new OrderEvent(command.OrderId, order.Version + 1, eventId, type, command.CommandId, command.Actor, command.Reason, now, order.State, target));

    /// <summary>The refusal when the state machine has no such move; null when it is allowed.</summary>
    private static Decision? Refusal(Order order, OrderEventType type, OrderState target) =>
        OrderStateMachine.IsAllowed(type, order.State, target) ? null : Refused(order, target, OrderEventTypes.Name(type));

    private static Decision Refused(Order order, OrderState target, string what) =>
        Decision.Refuse(new CommerceError(OrderingErrorCodes.InvalidTransition,
            $"{order.Id} cannot go from {OrderStateMachine.Name(order.State)} to {OrderStateMachine.Name(target)} ({what})."), target);
}
