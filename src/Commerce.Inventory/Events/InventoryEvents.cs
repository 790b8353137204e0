using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Inventory;

/// <summary>The event types the inventory engine writes to its outbox.</summary>
public static class InventoryEventTypes
{
    /// <summary>Stock was held by a new reservation. Payload: <see cref="ReservationEvent"/>.</summary>
    public const string Reserved = "inventory.reservation.reserved";

    /// <summary>A reservation was sold. Payload: <see cref="ReservationEvent"/>.</summary>
    public const string Committed = "inventory.reservation.committed";

    /// <summary>A reservation was released by the caller. Payload: <see cref="ReservationEvent"/>.</summary>
    public const string Released = "inventory.reservation.released";

    /// <summary>A reservation expired. Payload: <see cref="ReservationEvent"/>.</summary>
    public const string Expired = "inventory.reservation.expired";

    /// <summary>On-hand changed by an adjustment or a sync. Payload: <see cref="StockAdjustedEvent"/>.</summary>
    public const string StockAdjusted = "inventory.stock.adjusted";
}

/// <summary>The payload of the reservation events.</summary>
/// <param name="ReservationId">The reservation.</param>
/// <param name="State">Its state after the change: active, committed, released, expired.</param>
/// <param name="Lines">Its lines.</param>
/// <param name="ExpiresAt">Its deadline.</param>
public sealed record ReservationEvent(string ReservationId, string State, IReadOnlyList<ReservationEventLine> Lines, DateTimeOffset ExpiresAt);

/// <summary>A line of a <see cref="ReservationEvent"/>.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Location">The location.</param>
/// <param name="Quantity">Units.</param>
public sealed record ReservationEventLine(string Sku, string Location, long Quantity);

/// <summary>The payload of <see cref="InventoryEventTypes.StockAdjusted"/>.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Location">The location.</param>
/// <param name="Kind">adjust or sync.</param>
/// <param name="OnHandDelta">The change of on-hand.</param>
/// <param name="OnHand">On-hand after the change.</param>
/// <param name="Reserved">Reserved at the time.</param>
/// <param name="Reason">The caller's reason.</param>
/// <param name="IdempotencyKey">The caller's key.</param>
public sealed record StockAdjustedEvent(
    string Sku, string Location, string Kind, long OnHandDelta, long OnHand, long Reserved, string Reason, string IdempotencyKey);

/// <summary>System.Text.Json metadata for the inventory events (camelCase, trimming-safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ReservationEvent))]
[JsonSerializable(typeof(StockAdjustedEvent))]
public sealed partial class InventoryJsonContext : JsonSerializerContext;

internal static class InventoryEventFactory
{
    public static string StateName(ReservationState state) => state switch
    {
        ReservationState.Active => "active",
        ReservationState.Committed => "committed",
        ReservationState.Released => "released",
        ReservationState.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static string EventType(ReservationState state) => state switch
    {
        ReservationState.Active => InventoryEventTypes.Reserved,
        ReservationState.Committed => InventoryEventTypes.Committed,
        ReservationState.Released => InventoryEventTypes.Released,
        ReservationState.Expired => InventoryEventTypes.Expired,
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static byte[] Serialize(Reservation reservation)
    {
        var lines = new ReservationEventLine[reservation.Lines.Count];
        for (var i = 0; i < lines.Length; i++)
        {
            var line = reservation.Lines[i];
            lines[i] = new ReservationEventLine(line.Sku.Value, line.Location.Value, line.Quantity);
        }

        var payload = new ReservationEvent(reservation.Id.Value, StateName(reservation.State), lines, reservation.ExpiresAt);
        return JsonSerializer.SerializeToUtf8Bytes(payload, InventoryJsonContext.Default.ReservationEvent);
    }

    /// <summary>Serializes a payload the in-memory store queued: a reservation snapshot or a stock adjustment.</summary>
    public static ReadOnlyMemory<byte> SerializePayload(object payload) => payload switch
    {
        Reservation reservation => Serialize(reservation),
        StockAdjustedEvent adjusted => Serialize(adjusted),
        _ => throw new InvalidOperationException($"Unexpected payload {payload.GetType()}."),
    };

    public static byte[] Serialize(StockAdjustedEvent payload) =>
        JsonSerializer.SerializeToUtf8Bytes(payload, InventoryJsonContext.Default.StockAdjustedEvent);
}
