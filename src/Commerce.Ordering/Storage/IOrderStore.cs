namespace Commerce.Ordering.Storage;

/// <summary>
/// The storage seam of the ordering engine. <see cref="OrderService"/> validates every command and decides its event;
/// a store only has to read consistently and append atomically: the event, the new order, and the outbox message are
/// written together or not at all, only if the order is still at the version the event follows, and only if the
/// command id has not been recorded for the order yet.
/// </summary>
/// <remarks>
/// Implementations: <see cref="InMemory.InMemoryOrderStore"/> (the embedded default) and the PostgreSQL store in
/// Commerce.PostgreSql. Both pass the same conformance suite.
/// </remarks>
public interface IOrderStore
{
    /// <summary>Reads an order (null when unknown) and whether <paramref name="commandId"/> was already applied to it, in one consistent read.</summary>
    ValueTask<LoadedOrder> LoadAsync(OrderId orderId, CommandId commandId, CancellationToken cancellationToken);

    /// <summary>
    /// Appends <see cref="OrderAppend.Event"/> and stores <see cref="OrderAppend.Order"/> if the order is at version
    /// <c>Event.Version - 1</c> (0: it does not exist yet) and the command id is new for the order; writes nothing otherwise.
    /// </summary>
    ValueTask<AppendResult> AppendAsync(OrderAppend append, CancellationToken cancellationToken);

    /// <summary>Returns an order, or null when the id is unknown.</summary>
    ValueTask<Order?> GetAsync(OrderId orderId, CancellationToken cancellationToken);

    /// <summary>Returns an order's events, oldest first; empty when the id is unknown.</summary>
    ValueTask<IReadOnlyList<OrderEvent>> ReadHistoryAsync(OrderId orderId, CancellationToken cancellationToken);

    /// <summary>Returns up to <paramref name="limit"/> of a buyer's orders, newest first, after <paramref name="after"/>.</summary>
    ValueTask<IReadOnlyList<Order>> ListByBuyerAsync(BuyerId buyer, OrderCursor? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Returns up to <paramref name="limit"/> orders in which <paramref name="seller"/> has a fulfilment and which are
    /// in <paramref name="state"/> (any state when null), newest first, after <paramref name="after"/>.
    /// </summary>
    ValueTask<IReadOnlyList<Order>> ListBySellerAsync(SellerId seller, OrderState? state, OrderCursor? after, int limit, CancellationToken cancellationToken);
}

/// <summary>An order as read for a command.</summary>
/// <param name="Order">The order, or null when it does not exist.</param>
/// <param name="Command">The command's record when its id was already applied to this order.</param>
public readonly record struct LoadedOrder(Order? Order, RecordedCommand? Command);

/// <summary>A command applied to an order: the version of its event and the fingerprint of its body.</summary>
/// <param name="Version">The version of the event it recorded.</param>
/// <param name="Fingerprint">A hash of the command's body; the same id with another fingerprint is a reused id.</param>
public readonly record struct RecordedCommand(long Version, Guid Fingerprint);

/// <summary>An event to append and the order it leads to.</summary>
/// <param name="Event">The event; its version is one more than the order's current version.</param>
/// <param name="Order">The order after the event.</param>
/// <param name="Fingerprint">A hash of the command's body, stored with the command id.</param>
public sealed record OrderAppend(OrderEvent Event, Order Order, Guid Fingerprint);

/// <summary>Whether an append was written.</summary>
public enum AppendStatus
{
    /// <summary>Written: the event, the order and the outbox message.</summary>
    Appended = 1,

    /// <summary>Nothing written: the order is not at the version the event follows (or already exists, for a new order).</summary>
    VersionConflict = 2,

    /// <summary>Nothing written: the command id was already applied to the order.</summary>
    CommandRecorded = 3,
}

/// <summary>The outcome of <see cref="IOrderStore.AppendAsync"/>.</summary>
/// <param name="Status">Written or why not.</param>
/// <param name="Command">On <see cref="AppendStatus.CommandRecorded"/>: the earlier command's record.</param>
public readonly record struct AppendResult(AppendStatus Status, RecordedCommand? Command = null);
