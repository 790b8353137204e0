using Commerce.Payments.InMemory;
using Commerce.Payments.Providers;
using Commerce.Payments.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Payments.Tests;

/// <summary>
/// The per-try timeout armed only when a call waits: a call that never answers is cancelled at the timeout and its
/// outcome becomes unknown; a caller's cancellation still reaches it; a synchronous answer needs no timer at all.
/// </summary>
public sealed class ProviderTimeoutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (PaymentService Service, InMemoryPaymentStore Store) Create(IPaymentProvider provider, FakeTimeProvider time)
    {
        var routed = new RoutedProvider("hanging", provider, new PaymentProviderOptions { Timeout = TimeSpan.FromSeconds(2), MaxRetries = 0 }, time);
        var store = new InMemoryPaymentStore(time);
        return (new PaymentService(store, new PaymentProviderRegistry([routed], []), Options.Create(new PaymentsOptions()), time), store);
    }

    private static AuthorizePaymentRequest Request() =>
        new(new PaymentId("pay-t"), new IdempotencyKey("key-t"), Money.FromMinorUnits(500, "USD"), "tok_visa");

    [Fact]
    public async Task A_call_that_never_answers_is_cancelled_at_the_timeout_and_its_outcome_is_unknown()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        var provider = new HangingProvider();
        var (service, store) = Create(provider, time);

        var pending = service.AuthorizeAsync(Request(), Ct).AsTask();
        await provider.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1.5));
        var result = await pending.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(PaymentOutcome.Pending, result.Outcome);
        Assert.Equal("timeout", result.FailureCode);
        Assert.True(provider.SawCancellation);
        Assert.Equal(PaymentStatus.Unknown, (await store.GetAsync(new PaymentId("pay-t"), Ct))!.Status);
    }

    [Fact]
    public async Task The_callers_cancellation_reaches_a_waiting_call()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        var provider = new HangingProvider();
        var (service, _) = Create(provider, time);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var pending = service.AuthorizeAsync(Request(), cancel.Token).AsTask();
        await provider.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.True(provider.SawCancellation);
    }

    [Fact]
    public async Task Synchronous_answers_reuse_one_token_source_and_never_time_out()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        var timeout = new ProviderCallTimeout(TimeSpan.FromSeconds(2), time);
        var tokens = new List<CancellationToken>();

        for (var i = 0; i < 3; i++)
        {
            var result = await timeout.RunAsync(
                static (list, token) =>
                {
                    list.Add(token);
                    return new ValueTask<ProviderResult>(ProviderResult.Success("psp"));
                },
                tokens, Ct);
            Assert.Equal(ProviderOutcome.Succeeded, result.Outcome);
        }

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.All(tokens, t => Assert.True(t.CanBeCanceled && !t.IsCancellationRequested));
    }

    /// <summary>A PSP that never answers: it waits until its token is cancelled.</summary>
    private sealed class HangingProvider : IPaymentProvider
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool SawCancellation { get; private set; }

        public async ValueTask<ProviderResult> AuthorizeAsync(ProviderAuthorizeRequest request, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SawCancellation = true;
                throw;
            }

            return ProviderResult.Success("never");
        }

        public ValueTask<ProviderResult> CaptureAsync(ProviderCaptureRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<ProviderResult> VoidAsync(ProviderVoidRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<ProviderResult> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<ProviderStatus> GetStatusAsync(ProviderStatusRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
