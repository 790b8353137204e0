using Commerce;
using Commerce.Ordering;
using Commerce.Payments;

namespace Marketplace.Orders;

/// <summary>An order line.</summary>
public sealed record OrderLineView(string Sku, string SellerId, long Quantity, long UnitPriceMinor, long LineTotalMinor);

/// <summary>A seller's part of an order.</summary>
public sealed record FulfilmentView(string SellerId, string Status, string? TrackingNumber, DateTimeOffset? ShippedAt, DateTimeOffset? DeliveredAt);

/// <summary>The payment of an order: <c>status</c> is <c>none</c> before one is made.</summary>
public sealed record PaymentView(string Status, string? PaymentId, long AuthorizedMinor, long CapturedMinor, long RefundedMinor);

/// <summary>
/// An order as the API returns it. A seller sees only their own lines and fulfilment (and the totals of those);
/// the buyer and admins see everything.
/// </summary>
public sealed record OrderView(
    string OrderId,
    string Status,
    string BuyerId,
    IReadOnlyList<OrderLineView> Lines,
    long TotalMinor,
    string Currency,
    IReadOnlyList<FulfilmentView> Fulfilments,
    PaymentView Payment,
    long RefundedMinor,
    DateTimeOffset PlacedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A page of orders, newest first; pass <c>nextPageToken</c> back as <c>pageToken</c> for the next.</summary>
public sealed record OrderListView(IReadOnlyList<OrderView> Items, string? NextPageToken);

/// <summary>Builds the views.</summary>
public static class OrderViews
{
    /// <summary>The API name of an order state (<c>awaiting_payment</c>, <c>paid</c>, ...).</summary>
    public static string Name(OrderState state) => OrderStateMachine.Name(state);

    /// <summary>The view of an order, cut down to one seller's part when <paramref name="onlySeller"/> is set.</summary>
    public static OrderView From(Order order, Payment? payment, SellerId? onlySeller = null)
    {
        ArgumentNullException.ThrowIfNull(order);
        var lines = order.Lines.Where(l => onlySeller is not { } s || l.Seller == s).ToList();
        var total = onlySeller is null ? order.Total.MinorUnits : lines.Sum(static l => l.LineTotal.MinorUnits);
        return new OrderView(
            order.Id.Value,
            Name(order.State),
            order.Buyer.Value,
            lines.Select(static l => new OrderLineView(l.Sku.Value, l.Seller.Value, l.Quantity, l.UnitPrice.MinorUnits, l.LineTotal.MinorUnits)).ToList(),
            total,
            order.Currency.Code,
            order.Fulfilments
                .Where(f => onlySeller is not { } s || f.Seller == s)
                .Select(static f => new FulfilmentView(f.Seller.Value, OrderStateMachine.Name(f.State), f.TrackingNumber, f.ShippedAt, f.DeliveredAt))
                .ToList(),
            onlySeller is null ? PaymentOf(order, payment) : new PaymentView(PaymentOf(order, payment).Status, null, 0, 0, 0),
            onlySeller is null ? order.Refunded.MinorUnits : 0,
            order.PlacedAt,
            order.UpdatedAt);
    }

    private static PaymentView PaymentOf(Order order, Payment? payment) => payment is null
        ? new PaymentView(order.PaymentId is null ? "none" : "unknown", order.PaymentId?.Value, 0, 0, 0)
        : new PaymentView(Name(payment.Status), payment.Id.Value, payment.AuthorizedMinor, payment.CapturedMinor, payment.RefundedMinor);

    /// <summary>The API name of a payment status (<c>authorized</c>, <c>partially_captured</c>, ...).</summary>
    public static string Name(PaymentStatus status)
    {
        var text = status.ToString();
        var builder = new System.Text.StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsUpper(text[i]))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(text[i]));
            }
            else
            {
                builder.Append(text[i]);
            }
        }

        return builder.ToString();
    }
}
