namespace Commerce.Ordering;

/// <summary>
/// A change to an order, as a caller asks for it. Every command carries a caller-chosen <see cref="CommandId"/>:
/// repeating a command with the same id returns its first outcome (<see cref="OrderResult.IsReplay"/>), repeating the
/// id with a different command throws <see cref="OrderingErrorCodes.CommandIdReused"/>. Command ids are scoped to
/// their order. A refused command records nothing, so its id stays free for a retry.
/// </summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command, for idempotency.</param>
/// <param name="Actor">Who asks (a user, a seller, a service); recorded in the history.</param>
public abstract record OrderCommand(OrderId OrderId, CommandId CommandId, string Actor)
{
    /// <summary>Why, recorded in the history. Optional.</summary>
    public string? Reason { get; init; }

    /// <summary>
    /// The version the caller last saw. When set, the command applies only if the order is still at that version,
    /// else it fails with <see cref="OrderingErrorCodes.VersionConflict"/>. When null, a concurrent change is
    /// absorbed: the command is decided again against the newer order.
    /// </summary>
    public long? ExpectedVersion { get; init; }
}

/// <summary>Places an order: one fulfilment per seller, in <see cref="OrderState.AwaitingPayment"/> (or <see cref="OrderState.Pending"/>).</summary>
/// <param name="OrderId">The new order's id.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who places it.</param>
/// <param name="Buyer">The buyer.</param>
/// <param name="Lines">At least one line; all prices in one currency.</param>
public sealed record PlaceOrder(OrderId OrderId, CommandId CommandId, string Actor, BuyerId Buyer, IReadOnlyList<OrderLine> Lines)
    : OrderCommand(OrderId, CommandId, Actor)
{
    /// <summary>Shipping, in the order's currency. Default zero.</summary>
    public Money? Shipping { get; init; }

    /// <summary>Tax, in the order's currency. Default zero.</summary>
    public Money? Tax { get; init; }

    /// <summary>Whether the order starts waiting for payment (the default) or pending, to be sent to payment later with <see cref="RequestPayment"/>.</summary>
    public bool AwaitPayment { get; init; } = true;
}

/// <summary>Moves a pending order to <see cref="OrderState.AwaitingPayment"/>.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who.</param>
public sealed record RequestPayment(OrderId OrderId, CommandId CommandId, string Actor) : OrderCommand(OrderId, CommandId, Actor);

/// <summary>Records that an order awaiting payment was paid.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who.</param>
public sealed record MarkPaid(OrderId OrderId, CommandId CommandId, string Actor) : OrderCommand(OrderId, CommandId, Actor)
{
    /// <summary>The payment, recorded on the order. Optional.</summary>
    public PaymentId? PaymentId { get; init; }
}

/// <summary>
/// Cancels an order that has not shipped. Cancelling a paid order records a refund request of the amount paid
/// (<see cref="Order.RefundRequested"/>, and <see cref="OrderEventPayload.RefundRequested"/> in the published event).
/// </summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who.</param>
public sealed record CancelOrder(OrderId OrderId, CommandId CommandId, string Actor) : OrderCommand(OrderId, CommandId, Actor);

/// <summary>Records that a seller shipped its fulfilment of a paid order.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who.</param>
/// <param name="Seller">The seller whose fulfilment shipped.</param>
/// <param name="TrackingNumber">The carrier's tracking number.</param>
public sealed record ShipFulfilment(OrderId OrderId, CommandId CommandId, string Actor, SellerId Seller, string TrackingNumber)
    : OrderCommand(OrderId, CommandId, Actor);

/// <summary>Records that a seller's shipped fulfilment was delivered.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who.</param>
/// <param name="Seller">The seller whose fulfilment arrived.</param>
public sealed record DeliverFulfilment(OrderId OrderId, CommandId CommandId, string Actor, SellerId Seller)
    : OrderCommand(OrderId, CommandId, Actor);

/// <summary>Records that the buyer asked to return a delivered order.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who.</param>
public sealed record RequestReturn(OrderId OrderId, CommandId CommandId, string Actor) : OrderCommand(OrderId, CommandId, Actor);

/// <summary>Records that the returned goods arrived.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who.</param>
public sealed record ReceiveReturn(OrderId OrderId, CommandId CommandId, string Actor) : OrderCommand(OrderId, CommandId, Actor);

/// <summary>Records a refund of part or all of the order's total.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="CommandId">The caller's id for this command.</param>
/// <param name="Actor">Who.</param>
/// <param name="Amount">Above zero, in the order's currency; refunds never exceed the total.</param>
public sealed record RefundOrder(OrderId OrderId, CommandId CommandId, string Actor, Money Amount) : OrderCommand(OrderId, CommandId, Actor);
