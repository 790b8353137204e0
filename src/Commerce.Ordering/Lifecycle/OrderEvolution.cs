namespace Commerce.Ordering;

/// <summary>
/// Applies an event to an order: the only code that builds an order, whether a command just decided the event or a
/// history is being replayed, so the live order and the rebuilt one cannot differ.
/// </summary>
internal static class OrderEvolution
{
    public static Order Apply(Order? order, OrderEvent change)
    {
        if (change.Type == OrderEventType.Placed)
        {
            if (order is not null || change.Lines is not { Count: > 0 } lines || change.Buyer is not { } buyer)
            {
                throw new ArgumentException($"A placed event must come first and carry a buyer and lines ({change.OrderId} v{change.Version}).", nameof(change));
            }

            var currency = lines[0].UnitPrice.Currency;
            return new Order(
                change.OrderId, buyer, currency, lines, change.Shipping ?? Money.Zero(currency), change.Tax ?? Money.Zero(currency),
                change.ToState, InitialFulfilments(lines), change.Version, change.OccurredAt, change.OccurredAt, Money.Zero(currency), null, null);
        }

        if (order is null)
        {
            throw new ArgumentException($"{change.OrderId} v{change.Version} ({change.Type}) has no order to apply to.", nameof(change));
        }

        return change.Type switch
        {
            OrderEventType.Paid => order.With(change.ToState, change.Version, change.OccurredAt, paymentId: change.PaymentId),
            OrderEventType.Cancelled => order.With(change.ToState, change.Version, change.OccurredAt, refundRequested: change.Amount),
            OrderEventType.FulfilmentShipped or OrderEventType.FulfilmentDelivered => order.With(change.ToState, change.Version, change.OccurredAt,
                fulfilments: Replace(order.Fulfilments, Seller(change), change)),
            OrderEventType.Refunded => order.With(change.ToState, change.Version, change.OccurredAt,
                refunded: order.Refunded + (change.Amount ?? throw new ArgumentException("A refund event carries its amount.", nameof(change)))),
            _ => order.With(change.ToState, change.Version, change.OccurredAt),
        };
    }

    /// <summary>One pending fulfilment per seller, ordered by seller id so that every store lists them alike.</summary>
    public static Fulfilment[] InitialFulfilments(IReadOnlyList<OrderLine> lines)
    {
        if (lines.Count == 1)
        {
            return [new Fulfilment(lines[0].Seller, FulfilmentState.Pending)];
        }

        var sellers = new SellerId[lines.Count];
        var count = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var seller = lines[i].Seller;
            if (Array.IndexOf(sellers, seller, 0, count) < 0)
            {
                sellers[count++] = seller;
            }
        }

        Array.Sort(sellers, 0, count);
        var fulfilments = new Fulfilment[count];
        for (var i = 0; i < fulfilments.Length; i++)
        {
            fulfilments[i] = new Fulfilment(sellers[i], FulfilmentState.Pending);
        }

        return fulfilments;
    }

    /// <summary>The fulfilments after a shipped or delivered event: the named seller's moved, the others as they were.</summary>
    private static Fulfilment[] Replace(IReadOnlyList<Fulfilment> fulfilments, SellerId seller, OrderEvent change)
    {
        var result = new Fulfilment[fulfilments.Count];
        var found = false;
        for (var i = 0; i < result.Length; i++)
        {
            var fulfilment = fulfilments[i];
            if (fulfilment.Seller == seller)
            {
                fulfilment = change.Type == OrderEventType.FulfilmentShipped
                    ? fulfilment with { State = FulfilmentState.Shipped, TrackingNumber = change.TrackingNumber, ShippedAt = change.OccurredAt }
                    : fulfilment with { State = FulfilmentState.Delivered, DeliveredAt = change.OccurredAt };
                found = true;
            }

            result[i] = fulfilment;
        }

        return found ? result : throw new ArgumentException($"The order has no fulfilment of {seller}.", nameof(seller));
    }

    private static SellerId Seller(OrderEvent change) =>
        change.Seller ?? throw new ArgumentException("A fulfilment event names its seller.", nameof(change));
}
