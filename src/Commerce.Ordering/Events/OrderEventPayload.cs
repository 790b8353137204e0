using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Ordering;

/// <summary>
/// The JSON body of every ordering event, in the outbox and in the stored history (camelCase; absent fields are
/// omitted). Amounts are integer minor units of <see cref="Currency"/>.
/// </summary>
/// <param name="OrderId">The order.</param>
/// <param name="Version">The event's version in the order's history.</param>
/// <param name="EventId">The event id (also the envelope's).</param>
/// <param name="Type">The event type, for example <c>ordering.order.paid</c>.</param>
/// <param name="CommandId">The command that caused it.</param>
/// <param name="Actor">Who.</param>
/// <param name="Reason">Why.</param>
/// <param name="OccurredAt">When.</param>
/// <param name="FromState">The state before (absent when placed).</param>
/// <param name="ToState">The state after.</param>
public sealed record OrderEventPayload(
    string OrderId,
    long Version,
    Guid EventId,
    string Type,
    string CommandId,
    string Actor,
    string? Reason,
    DateTimeOffset OccurredAt,
    string? FromState,
    string ToState)
{
    /// <summary>The currency of every amount in the event.</summary>
    public string? Currency { get; init; }

    /// <summary>Placed: the buyer.</summary>
    public string? BuyerId { get; init; }

    /// <summary>Placed: the lines.</summary>
    public IReadOnlyList<OrderLinePayload>? Lines { get; init; }

    /// <summary>Placed: shipping, in minor units.</summary>
    public long? Shipping { get; init; }

    /// <summary>Placed: tax, in minor units.</summary>
    public long? Tax { get; init; }

    /// <summary>Fulfilment events: the seller.</summary>
    public string? SellerId { get; init; }

    /// <summary>Shipped: the tracking number.</summary>
    public string? TrackingNumber { get; init; }

    /// <summary>Refunded: the amount refunded, in minor units.</summary>
    public long? Amount { get; init; }

    /// <summary>Cancelled after payment: the amount to refund, in minor units.</summary>
    public long? RefundRequested { get; init; }

    /// <summary>Paid: the payment id.</summary>
    public string? PaymentId { get; init; }
}

/// <summary>A line in an <see cref="OrderEventPayload"/>.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="SellerId">The seller.</param>
/// <param name="Quantity">Units.</param>
/// <param name="UnitPrice">Unit price in minor units.</param>
public sealed record OrderLinePayload(string Sku, string SellerId, long Quantity, long UnitPrice);

/// <summary>System.Text.Json metadata for the ordering events (camelCase, trimming-safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OrderEventPayload))]
public sealed partial class OrderingJsonContext : JsonSerializerContext;

/// <summary>Converts between <see cref="OrderEvent"/> and its JSON body; the round trip is exact.</summary>
internal static class OrderEventSerializer
{
    public static byte[] Serialize(OrderEvent change) =>
        JsonSerializer.SerializeToUtf8Bytes(ToPayload(change), OrderingJsonContext.Default.OrderEventPayload);

    public static string SerializeToString(OrderEvent change) =>
        JsonSerializer.Serialize(ToPayload(change), OrderingJsonContext.Default.OrderEventPayload);

    public static OrderEvent Deserialize(string json) =>
        FromPayload(JsonSerializer.Deserialize(json, OrderingJsonContext.Default.OrderEventPayload)
            ?? throw new FormatException("An ordering event body is null."));

    public static OrderEvent Deserialize(ReadOnlySpan<byte> json) =>
        FromPayload(JsonSerializer.Deserialize(json, OrderingJsonContext.Default.OrderEventPayload)
            ?? throw new FormatException("An ordering event body is null."));

    public static OrderEventPayload ToPayload(OrderEvent change)
    {
        var money = change.Shipping ?? change.Amount;
        var lines = change.Lines;
        OrderLinePayload[]? linePayloads = null;
        if (lines is not null)
        {
            linePayloads = new OrderLinePayload[lines.Count];
            for (var i = 0; i < lines.Count; i++)
            {
                var line = lines[i];
                linePayloads[i] = new OrderLinePayload(line.Sku.Value, line.Seller.Value, line.Quantity, line.UnitPrice.MinorUnits);
            }
        }

        var cancelled = change.Type == OrderEventType.Cancelled;
        return new OrderEventPayload(
            change.OrderId.Value,
            change.Version,
            change.EventId,
            OrderEventTypes.Name(change.Type),
            change.CommandId.Value,
            change.Actor,
            change.Reason,
            change.OccurredAt,
            change.FromState is { } from ? OrderStateMachine.Name(from) : null,
            OrderStateMachine.Name(change.ToState))
        {
            Currency = money?.Currency.Code,
            BuyerId = change.Buyer?.Value,
            Lines = linePayloads,
            Shipping = change.Shipping?.MinorUnits,
            Tax = change.Tax?.MinorUnits,
            SellerId = change.Seller?.Value,
            TrackingNumber = change.TrackingNumber,
            Amount = cancelled ? null : change.Amount?.MinorUnits,
            RefundRequested = cancelled ? change.Amount?.MinorUnits : null,
            PaymentId = change.PaymentId?.Value,
        };
    }

    private static OrderEvent FromPayload(OrderEventPayload payload)
    {
        var currency = payload.Currency is { } code ? Currency.FromCode(code) : default;
        Money? Amount(long? minorUnits) => minorUnits is { } units ? new Money(units, currency) : null;
        OrderLine[]? lines = null;
        if (payload.Lines is { } payloadLines)
        {
            lines = new OrderLine[payloadLines.Count];
            for (var i = 0; i < lines.Length; i++)
            {
                var line = payloadLines[i];
                lines[i] = new OrderLine(new Sku(line.Sku), new SellerId(line.SellerId), line.Quantity, new Money(line.UnitPrice, currency));
            }
        }

        return new OrderEvent(
            new OrderId(payload.OrderId),
            payload.Version,
            payload.EventId,
            OrderEventTypes.Parse(payload.Type),
            new CommandId(payload.CommandId),
            payload.Actor,
            payload.Reason,
            payload.OccurredAt,
            payload.FromState is { } from ? OrderStateMachine.ParseState(from) : null,
            OrderStateMachine.ParseState(payload.ToState))
        {
            Buyer = payload.BuyerId is { } buyer ? new BuyerId(buyer) : null,
            Lines = lines,
            Shipping = Amount(payload.Shipping),
            Tax = Amount(payload.Tax),
            Seller = payload.SellerId is { } seller ? new SellerId(seller) : null,
            TrackingNumber = payload.TrackingNumber,
            Amount = Amount(payload.Amount ?? payload.RefundRequested),
            PaymentId = payload.PaymentId is { } payment ? new PaymentId(payment) : null,
        };
    }
}
