using System.Text.Json;
using Commerce;
using Commerce.Events;
using Commerce.Ordering;
using Marketplace.Diagnostics;

namespace Marketplace.Notifications;

/// <summary>
/// The host's <see cref="IEventPublisher"/>: the engine's outbox relays deliver every event here, at least once and
/// in order per order. Order events become notifications: the buyer hears about every change of their order, each
/// seller about the orders they have a part in (placed, paid, cancelled, refunded) and about their own fulfilment.
/// Other events (inventory, payments) are not notifications in this sample. Delivery into a feed is deduplicated by
/// event id, so a redelivery notifies no one twice. A real host would publish to its broker here as well.
/// </summary>
public sealed partial class OrderNotificationPublisher(IServiceProvider services, NotificationFeed feed, ILogger<OrderNotificationPublisher> logger) : IEventPublisher
{
    // Resolved on first use: the order store asks whether a publisher exists when it is built, so taking the order
    // service in the constructor would be a cycle.
    private OrderService? _orders;

    /// <inheritdoc />
    public async ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var envelope in events)
        {
            if (!envelope.EventType.StartsWith("ordering.", StringComparison.Ordinal))
            {
                continue;
            }

            using var activity = MarketplaceTelemetry.Source.StartActivity("marketplace.notify");
            OrderEventPayload? payload;
            try
            {
                payload = JsonSerializer.Deserialize(envelope.Payload.Span, OrderingJsonContext.Default.OrderEventPayload);
            }
            catch (JsonException exception)
            {
                // Not ours to fix and not worth blocking the relay on: log it and move on.
                LogUnreadable(exception, envelope.EventId);
                continue;
            }

            if (payload is null)
            {
                continue;
            }

            await NotifyAsync(envelope, payload, cancellationToken);
        }
    }

    private async ValueTask NotifyAsync(EventEnvelope envelope, OrderEventPayload payload, CancellationToken cancellationToken)
    {
        string? buyer = payload.BuyerId;
        List<string> sellers = payload.Lines?.Select(static l => l.SellerId).Distinct().ToList() ?? [];
        if (buyer is null || sellers.Count == 0)
        {
            _orders ??= services.GetRequiredService<OrderService>();
            if (await _orders.GetAsync(new OrderId(payload.OrderId), cancellationToken) is { } order)
            {
                buyer ??= order.Buyer.Value;
                if (sellers.Count == 0)
                {
                    sellers = order.Fulfilments.Select(static f => f.Seller.Value).ToList();
                }
            }
        }

        var kind = envelope.EventType["ordering.".Length..];
        var message = envelope.EventType switch
        {
            OrderEventTypes.Placed => $"Order {payload.OrderId} was placed.",
            OrderEventTypes.PaymentRequested => $"Order {payload.OrderId} is awaiting payment.",
            OrderEventTypes.Paid => $"Order {payload.OrderId} is paid.",
            OrderEventTypes.Cancelled => $"Order {payload.OrderId} was cancelled.",
            OrderEventTypes.FulfilmentShipped => $"Seller {payload.SellerId} shipped their part of order {payload.OrderId} (tracking {payload.TrackingNumber}).",
            OrderEventTypes.FulfilmentDelivered => $"Seller {payload.SellerId}'s part of order {payload.OrderId} was delivered.",
            OrderEventTypes.Refunded => $"Order {payload.OrderId} was refunded ({payload.Amount} in minor units).",
            _ => $"Order {payload.OrderId} is now {payload.ToState}.",
        };

        var id = envelope.EventId.ToString("N");
        if (buyer is not null)
        {
            feed.Add(buyer, id, kind, payload.OrderId, payload.ToState, message, payload.OccurredAt);
        }

        var fulfilmentEvent = payload.SellerId is not null
            && envelope.EventType is OrderEventTypes.FulfilmentShipped or OrderEventTypes.FulfilmentDelivered;
        foreach (var seller in fulfilmentEvent ? [payload.SellerId!] : sellers)
        {
            feed.Add(seller, id, kind, payload.OrderId, payload.ToState, message, payload.OccurredAt);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Order event {EventId} could not be read; no notification was made.")]
    private partial void LogUnreadable(Exception exception, Guid eventId);
}
