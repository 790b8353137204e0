using System.Diagnostics.Metrics;

namespace Commerce.Ordering.Diagnostics;

/// <summary>
/// The ordering engine's instruments, on the meter <c>Commerce.Ordering</c>: commands by type and outcome, the
/// states orders move into, and the time a command takes (store round trips and concurrency retries included).
/// </summary>
internal sealed class OrderingMetrics : IDisposable
{
    public const string MeterName = "Commerce.Ordering";

    private readonly Meter _meter;
    private readonly Counter<long> _commands;
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _duration;

    public OrderingMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _commands = _meter.CreateCounter<long>(
            "commerce.ordering.commands", "{command}", "Order commands by type and outcome (applied, replay, invalid_transition, version_conflict).");
        _transitions = _meter.CreateCounter<long>(
            "commerce.ordering.transitions", "{transition}", "Orders moved into a state, by state.");
        _duration = _meter.CreateHistogram<double>(
            "commerce.ordering.command.duration", "s", "Time to apply an order command, store round trips and retries included.");
    }

    public void Completed(string command, in OrderResult result, double seconds)
    {
        var outcome = result.IsSuccess ? (result.IsReplay ? "replay" : "applied") : result.Error!.Code switch
        {
            OrderingErrorCodes.InvalidTransition => "invalid_transition",
            OrderingErrorCodes.VersionConflict => "version_conflict",
            _ => "refused",
        };
        var commandTag = new KeyValuePair<string, object?>("command", command);
        var outcomeTag = new KeyValuePair<string, object?>("outcome", outcome);
        _commands.Add(1, commandTag, outcomeTag);
        _duration.Record(seconds, commandTag, outcomeTag);
        if (result is { IsSuccess: true, IsReplay: false })
        {
            _transitions.Add(1, new KeyValuePair<string, object?>("state", OrderStateMachine.Name(result.Order!.State)));
        }
    }

    public void Dispose() => _meter.Dispose();
}
