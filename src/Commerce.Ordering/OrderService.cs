using System.Diagnostics;
using Commerce.Events;
using Commerce.Ordering.Diagnostics;
using Commerce.Ordering.Storage;
using Microsoft.Extensions.Options;

namespace Commerce.Ordering;

/// <summary>
/// The ordering engine's entry point. <see cref="ExecuteAsync"/> validates a command (bad input throws
/// <see cref="CommerceValidationException"/> with a stable code and writes nothing), reads the order, decides the event
/// against <see cref="OrderStateMachine"/>, and appends it through the configured <see cref="IOrderStore"/> with
/// optimistic concurrency: the event, the new order and its outbox message are stored together, only if the order is
/// still at the version the decision was made on and the command id is new. Commands are idempotent by command id.
/// </summary>
public sealed partial class OrderService
{
    private readonly IOrderStore _store;
    private readonly OrderingOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly OrderingMetrics _metrics;

    /// <summary>Creates the service over a store.</summary>
    public OrderService(IOrderStore store, IOptions<OrderingOptions> options, TimeProvider timeProvider)
        : this(store, options?.Value ?? throw new ArgumentNullException(nameof(options)), timeProvider, new OrderingMetrics())
    {
    }

    internal OrderService(IOrderStore store, OrderingOptions options, TimeProvider timeProvider, OrderingMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _store = store;
        _options = options;
        _timeProvider = timeProvider;
        _metrics = metrics;
    }

    /// <summary>The settings in force.</summary>
    public OrderingOptions Options => _options;

    /// <summary>Creates a service over the in-memory store, for tests, demos and single-process use.</summary>
    public static OrderService CreateInMemory(OrderingOptions? options = null, TimeProvider? timeProvider = null) =>
        new(new InMemory.InMemoryOrderStore(), options ?? new OrderingOptions(), timeProvider ?? TimeProvider.System, new OrderingMetrics());

    /// <summary>
    /// Applies a command: places an order, or moves one along <see cref="OrderStateMachine"/>. Repeating a command id
    /// returns the first outcome without changing anything (<see cref="OrderResult.IsReplay"/>).
    /// </summary>
    /// <returns>
    /// The order after the command, or a failure that changed nothing: <see cref="OrderingErrorCodes.InvalidTransition"/>
    /// (the message names from and to) or <see cref="OrderingErrorCodes.VersionConflict"/>.
    /// </returns>
    /// <exception cref="CommerceValidationException">
    /// Invalid input (<c>ordering.empty_order</c>, <c>ordering.currency_mismatch</c>, <c>ordering.invalid_quantity</c>, ...),
    /// <c>ordering.unknown_fulfilment</c>, <c>ordering.refund_exceeds_total</c>, <c>ordering.command_id_reused</c>.
    /// </exception>
    /// <exception cref="CommerceException"><c>ordering.order_not_found</c>, <c>ordering.order_already_exists</c>.</exception>
    public async ValueTask<OrderResult> ExecuteAsync(OrderCommand command, CancellationToken cancellationToken = default)
    {
        var fingerprint = Validate(command);
        var started = Stopwatch.GetTimestamp();
        var result = await ApplyAsync(command, fingerprint, cancellationToken).ConfigureAwait(false);
        _metrics.Completed(CommandName(command), result, Stopwatch.GetElapsedTime(started).TotalSeconds);
        return result;
    }

    /// <summary>Returns an order, or null when the id is unknown.</summary>
    public ValueTask<Order?> GetAsync(OrderId orderId, CancellationToken cancellationToken = default)
    {
        RequireId(orderId.IsEmpty, nameof(orderId));
        return _store.GetAsync(orderId, cancellationToken);
    }

    /// <summary>Returns an order's history, oldest event first; <see cref="Order.FromHistory"/> rebuilds the order from it.</summary>
    /// <exception cref="CommerceException"><c>ordering.order_not_found</c>.</exception>
    public async ValueTask<IReadOnlyList<OrderEvent>> ReadHistoryAsync(OrderId orderId, CancellationToken cancellationToken = default)
    {
        RequireId(orderId.IsEmpty, nameof(orderId));
        var history = await _store.ReadHistoryAsync(orderId, cancellationToken).ConfigureAwait(false);
        return history.Count > 0 ? history : throw NotFound(orderId);
    }

    /// <summary>Lists a buyer's orders, newest first, a page at a time.</summary>
    /// <param name="buyer">The buyer.</param>
    /// <param name="pageSize">Orders per page; <see cref="OrderingOptions.DefaultPageSize"/> when null.</param>
    /// <param name="pageToken">The previous page's <see cref="OrderPage.NextPageToken"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="CommerceValidationException"><c>ordering.invalid_page</c>.</exception>
    public async ValueTask<OrderPage> ListByBuyerAsync(BuyerId buyer, int? pageSize = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        RequireId(buyer.IsEmpty, nameof(buyer));
        var (limit, after) = Page(pageSize, pageToken);
        var orders = await _store.ListByBuyerAsync(buyer, after, limit + 1, cancellationToken).ConfigureAwait(false);
        return ToPage(orders, limit);
    }

    /// <summary>Lists the orders a seller has a fulfilment in, optionally only those in one state, newest first, a page at a time.</summary>
    /// <param name="seller">The seller.</param>
    /// <param name="state">Only orders in this state; all when null.</param>
    /// <param name="pageSize">Orders per page; <see cref="OrderingOptions.DefaultPageSize"/> when null.</param>
    /// <param name="pageToken">The previous page's <see cref="OrderPage.NextPageToken"/>; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="CommerceValidationException"><c>ordering.invalid_page</c>.</exception>
    public async ValueTask<OrderPage> ListBySellerAsync(
        SellerId seller, OrderState? state = null, int? pageSize = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        RequireId(seller.IsEmpty, nameof(seller));
        if (state is { } s && !Enum.IsDefined(s))
        {
            throw Invalid(OrderingErrorCodes.InvalidPage, $"{s} is not an order state.", nameof(state));
        }

        var (limit, after) = Page(pageSize, pageToken);
        var orders = await _store.ListBySellerAsync(seller, state, after, limit + 1, cancellationToken).ConfigureAwait(false);
        return ToPage(orders, limit);
    }

    private async ValueTask<OrderResult> ApplyAsync(OrderCommand command, Guid fingerprint, CancellationToken cancellationToken)
    {
        Order? latest = null;
        for (var attempt = 0; attempt < _options.MaxConcurrencyRetries; attempt++)
        {
            var loaded = await _store.LoadAsync(command.OrderId, command.CommandId, cancellationToken).ConfigureAwait(false);
            latest = loaded.Order;
            if (loaded.Command is { } recorded)
            {
                return Replay(command, recorded, fingerprint, loaded.Order!);
            }

            if (command is PlaceOrder)
            {
                if (loaded.Order is not null)
                {
                    throw new CommerceException(new CommerceError(OrderingErrorCodes.OrderAlreadyExists,
                        $"Order {command.OrderId} was already placed by another command.", nameof(command.OrderId)));
                }
            }
            else if (loaded.Order is null)
            {
                throw NotFound(command.OrderId);
            }

            var current = loaded.Order?.Version ?? 0;
            if (command.ExpectedVersion is { } expected && expected != current)
            {
                return VersionConflict(command, loaded.Order!, expected);
            }

            var now = Now();
            var decision = OrderDecider.Decide(loaded.Order, command, now, EventIds.Next());
            if (decision.Event is not { } change)
            {
                return OrderResult.Refused(decision.Refusal!, loaded.Order!, decision.Attempted);
            }

            var order = OrderEvolution.Apply(loaded.Order, change);
            var appended = await _store.AppendAsync(new OrderAppend(change, order, fingerprint), cancellationToken).ConfigureAwait(false);
            switch (appended.Status)
            {
                case AppendStatus.Appended:
                    return OrderResult.Applied(order, change);
                case AppendStatus.CommandRecorded when appended.Command is { } raced && raced.Fingerprint != fingerprint:
                    throw CommandIdReused(command);
                default:
                    // A concurrent change got there first (maybe a copy of this very command): read again and decide again.
                    continue;
            }
        }

        return VersionConflict(command, latest!, command.ExpectedVersion);
    }

    private static OrderResult Replay(OrderCommand command, RecordedCommand recorded, Guid fingerprint, Order order) =>
        recorded.Fingerprint == fingerprint ? OrderResult.Replayed(order) : throw CommandIdReused(command);

    private static OrderResult VersionConflict(OrderCommand command, Order order, long? expected) =>
        OrderResult.Refused(new CommerceError(OrderingErrorCodes.VersionConflict, expected is { } v
            ? $"{command.OrderId} is at version {order?.Version ?? 0}, not {v}."
            : $"{command.OrderId} kept changing concurrently; the command was not applied.", nameof(command.ExpectedVersion)), order!);

    private (int Limit, OrderCursor? After) Page(int? pageSize, string? pageToken)
    {
        var limit = pageSize ?? _options.DefaultPageSize;
        if (limit < 1 || limit > _options.MaxPageSize)
        {
            throw Invalid(OrderingErrorCodes.InvalidPage, $"A page holds 1 to {_options.MaxPageSize} orders.", nameof(pageSize));
        }

        if (pageToken is null)
        {
            return (limit, null);
        }

        return OrderCursor.TryParse(pageToken, out var cursor)
            ? (limit, cursor)
            : throw Invalid(OrderingErrorCodes.InvalidPage, "The page token is not one this service issued.", nameof(pageToken));
    }

    private static OrderPage ToPage(IReadOnlyList<Order> orders, int limit)
    {
        if (orders.Count <= limit)
        {
            return new OrderPage(orders, null);
        }

        var page = new Order[limit];
        for (var i = 0; i < limit; i++)
        {
            page[i] = orders[i];
        }

        var last = page[^1];
        return new OrderPage(page, new OrderCursor(last.PlacedAt, last.Id).ToToken());
    }

    /// <summary>The current time, truncated to whole microseconds so that every store (PostgreSQL keeps microseconds) returns exactly what it was given.</summary>
    private DateTimeOffset Now()
    {
        var now = _timeProvider.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    private static CommerceException NotFound(OrderId orderId) =>
        new(new CommerceError(OrderingErrorCodes.OrderNotFound, $"No order has the id {orderId}.", "OrderId"));

    private static CommerceValidationException CommandIdReused(OrderCommand command) =>
        new(OrderingErrorCodes.CommandIdReused,
            $"Command id '{command.CommandId}' was already used for a different command on {command.OrderId}.", nameof(command.CommandId));

    private static string CommandName(OrderCommand command) => command switch
    {
        PlaceOrder => "place",
        RequestPayment => "request_payment",
        MarkPaid => "mark_paid",
        CancelOrder => "cancel",
        ShipFulfilment => "ship",
        DeliverFulfilment => "deliver",
        RequestReturn => "request_return",
        ReceiveReturn => "receive_return",
        RefundOrder => "refund",
        _ => "unknown",
    };
}
