using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Commerce.Payments.Diagnostics;

/// <summary>The payments engine's instruments, on the meter <c>Commerce.Payments</c>.</summary>
internal sealed class PaymentMetrics
{
    public const string MeterName = "Commerce.Payments";

    private readonly Counter<long> _attempts;
    private readonly Counter<long> _settled;
    private readonly Counter<long> _replays;
    private readonly Counter<long> _webhooks;
    private readonly Counter<long> _resolved;

    public PaymentMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _attempts = meter.CreateCounter<long>("commerce.payments.attempts", "{attempt}", "PSP attempts started, by provider and operation.");
        _settled = meter.CreateCounter<long>("commerce.payments.attempts.settled", "{attempt}", "PSP attempts settled, by provider, operation and status.");
        _replays = meter.CreateCounter<long>("commerce.payments.replays", "{request}", "Requests answered from a stored result.");
        _webhooks = meter.CreateCounter<long>("commerce.payments.webhooks", "{event}", "Webhook events received, by provider and result.");
        _resolved = meter.CreateCounter<long>("commerce.payments.resolutions", "{attempt}", "Unknown outcomes the resolver looked at, by provider and result.");
    }

    // Tags are built only when something listens: the status name would otherwise box an enum on every call.
    public void AttemptStarted(PaymentAttempt attempt)
    {
        if (_attempts.Enabled)
        {
            _attempts.Add(1, new TagList
            {
                { "provider", attempt.Provider },
                { "operation", PaymentAttempt.OperationName(attempt.Operation) },
            });
        }
    }

    public void AttemptSettled(PaymentAttempt attempt)
    {
        if (_settled.Enabled)
        {
            _settled.Add(1, new TagList
            {
                { "provider", attempt.Provider },
                { "operation", PaymentAttempt.OperationName(attempt.Operation) },
                { "status", attempt.Status.ToString() },
            });
        }
    }

    public void Replayed() => _replays.Add(1);

    public void Webhook(string provider, string result) => _webhooks.Add(1, new TagList { { "provider", provider }, { "result", result } });

    public void Resolution(string provider, string result) => _resolved.Add(1, new TagList { { "provider", provider }, { "result", result } });
}
