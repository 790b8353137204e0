using BenchmarkDotNet.Attributes;
using Commerce.Payments;
using Commerce.Payments.InMemory;
using Commerce.Payments.Providers;
using Commerce.Payments.Providers.Simulated;
using Commerce.Payments.Routing;
using Microsoft.Extensions.Options;

namespace Commerce.Benchmarks.Payments;

/// <summary>
/// The orchestrator's cost per call over the in-memory store and the simulated PSP at zero latency (which completes
/// synchronously): key claim, fingerprint, attempt persisted before the PSP call, the PSP call through the Polly
/// pipeline, the settle write with its event and key result. <see cref="PspOnly"/> measures the simulated PSP alone,
/// so the orchestrator's own overhead is the difference. Requests come from pools built in setup; every iteration
/// starts on a fresh store and PSP.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(InvocationsPerIteration)]
public class AuthorizeBenchmarks
{
    private const int InvocationsPerIteration = 1 << 15;

    private AuthorizePaymentRequest[] _authorize = [];
    private CapturePaymentRequest[] _capture = [];
    private ProviderAuthorizeRequest[] _pspOnly = [];
    private PaymentService _payments = null!;
    private SimulatedPaymentProvider _psp = null!;
    private int _next;

    /// <summary>Whether events are written to the outbox (serialized to JSON on the request path).</summary>
    [Params(true, false)]
    public bool RecordEvents { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        var usd = Money.FromMinorUnits(1999, "USD");
        _authorize = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i =>
            new AuthorizePaymentRequest(new PaymentId($"pay-{i}"), new IdempotencyKey($"key-{i}"), usd, SimulatedPaymentProvider.SuccessToken))];
        _capture = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i =>
            new CapturePaymentRequest(new PaymentId($"pay-{i}"), new IdempotencyKey($"cap-{i}"), usd))];
        _pspOnly = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i =>
            new ProviderAuthorizeRequest($"pay-{i}.1", usd, SimulatedPaymentProvider.SuccessToken, $"pay-{i}:1:authorize"))];
    }

    [IterationSetup(Targets = [nameof(Authorize), nameof(PspOnly)])]
    public void FreshEngine()
    {
        _psp = new SimulatedPaymentProvider();
        var routed = new RoutedProvider("simulated", _psp, new PaymentProviderOptions(), TimeProvider.System);
        _payments = new PaymentService(
            new InMemoryPaymentStore(), new PaymentProviderRegistry([routed], []), Options.Create(new PaymentsOptions { RecordEvents = RecordEvents }), TimeProvider.System);
        _next = 0;
    }

    [IterationSetup(Target = nameof(Capture))]
    public void AuthorizedEngine()
    {
        FreshEngine();
        foreach (var request in _authorize)
        {
            Succeeded(_payments.AuthorizeAsync(request, CancellationToken.None));
        }
    }

    [Benchmark(Description = "Simulated PSP alone (authorize)")]
    public ProviderResult PspOnly()
    {
        var pending = _psp.AuthorizeAsync(_pspOnly[_next++], CancellationToken.None);
        return pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("The zero-latency PSP completes synchronously.");
    }

    [Benchmark(Baseline = true, Description = "Authorize through the orchestrator")]
    public PaymentResult Authorize() => Succeeded(_payments.AuthorizeAsync(_authorize[_next++], CancellationToken.None));

    [Benchmark(Description = "Capture through the orchestrator")]
    public PaymentResult Capture() => Succeeded(_payments.CaptureAsync(_capture[_next++], CancellationToken.None));

    private static PaymentResult Succeeded(ValueTask<PaymentResult> pending)
    {
        var result = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        return result.Succeeded ? result : throw new InvalidOperationException($"Expected success, got {result.Outcome} ({result.FailureCode}).");
    }
}
