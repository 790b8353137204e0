using System.Diagnostics.Metrics;

namespace Commerce.Inventory.Diagnostics;

/// <summary>
/// The inventory engine's instruments, on the meter <c>Commerce.Inventory</c>: reservation outcomes, state
/// transitions, units held and stock changes, and the latency of a reservation.
/// </summary>
internal sealed class InventoryMetrics : IDisposable
{
    public const string MeterName = "Commerce.Inventory";

    private readonly Meter _meter;
    private readonly Counter<long> _reservations;
    private readonly Counter<long> _transitions;
    private readonly Counter<long> _unitsReserved;
    private readonly Counter<long> _stockChanges;
    private readonly Histogram<double> _reserveDuration;

    public InventoryMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _reservations = _meter.CreateCounter<long>(
            "commerce.inventory.reservations", "{reservation}", "Reservation requests by outcome (reserved, insufficient_stock, replay).");
        _transitions = _meter.CreateCounter<long>(
            "commerce.inventory.reservation.transitions", "{reservation}", "Reservations committed, released, expired or extended.");
        _unitsReserved = _meter.CreateCounter<long>(
            "commerce.inventory.units.reserved", "{unit}", "Units held by new reservations.");
        _stockChanges = _meter.CreateCounter<long>(
            "commerce.inventory.stock.changes", "{change}", "Stock adjustments and syncs applied.");
        _reserveDuration = _meter.CreateHistogram<double>(
            "commerce.inventory.reserve.duration", "s", "Time to reserve, store round trip included.");
    }

    public void Reserved(in ReservationResult result, double seconds)
    {
        var outcome = result.IsSuccess ? (result.IsReplay ? "replay" : "reserved") : "insufficient_stock";
        _reservations.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _reserveDuration.Record(seconds, new KeyValuePair<string, object?>("outcome", outcome));
        if (result is { IsSuccess: true, IsReplay: false })
        {
            long units = 0;
            foreach (var line in result.Reservation!.Lines)
            {
                units += line.Quantity;
            }

            _unitsReserved.Add(units);
        }
    }

    public void Transitioned(ReservationState state, int count = 1)
    {
        if (count > 0)
        {
            _transitions.Add(count, new KeyValuePair<string, object?>("state", StateName(state)));
        }
    }

    public void Extended() => _transitions.Add(1, new KeyValuePair<string, object?>("state", "extended"));

    public void StockChanged(string kind) => _stockChanges.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void Dispose() => _meter.Dispose();

    private static string StateName(ReservationState state) => state switch
    {
        ReservationState.Committed => "committed",
        ReservationState.Released => "released",
        ReservationState.Expired => "expired",
        _ => "active",
    };
}
