namespace Commerce.Ordering;

/// <summary>
/// The outcome of an order command: the order after it, or an expected failure
/// (<see cref="OrderingErrorCodes.InvalidTransition"/>, <see cref="OrderingErrorCodes.VersionConflict"/>) with the order
/// as it stands. Invalid input, unknown orders and unknown fulfilments throw instead.
/// </summary>
public readonly struct OrderResult
{
    private OrderResult(Order? order, OrderEvent? change, CommerceError? error, bool isReplay, OrderState? attemptedState)
    {
        Order = order;
        Event = change;
        Error = error;
        IsReplay = isReplay;
        AttemptedState = attemptedState;
    }

    /// <summary>Whether the command applied (now or, for a replay, the first time).</summary>
    public bool IsSuccess => Error is null && Order is not null;

    /// <summary>The order after the command; on failure, the order as it stands.</summary>
    public Order? Order { get; }

    /// <summary>The event the command recorded; null on a replay or a failure.</summary>
    public OrderEvent? Event { get; }

    /// <summary>The failure, or null on success.</summary>
    public CommerceError? Error { get; }

    /// <summary>True when the command id had already been applied and nothing changed; <see cref="Order"/> is the order as it stands now.</summary>
    public bool IsReplay { get; }

    /// <summary>On <see cref="OrderingErrorCodes.InvalidTransition"/>: the state the command would have led to.</summary>
    public OrderState? AttemptedState { get; }

    /// <summary>A fresh success.</summary>
    internal static OrderResult Applied(Order order, OrderEvent change) => new(order, change, null, false, null);

    /// <summary>A replay of an applied command.</summary>
    internal static OrderResult Replayed(Order order) => new(order, null, null, true, null);

    /// <summary>A refused move.</summary>
    internal static OrderResult Refused(CommerceError error, Order order, OrderState? attemptedState = null) => new(order, null, error, false, attemptedState);

    /// <inheritdoc />
    public override string ToString() => IsSuccess
        ? $"{Order}{(IsReplay ? " (replay)" : string.Empty)}"
        : Error?.ToString() ?? "(default)";
}
