using Commerce.Payments.Providers;
using Polly.Timeout;

namespace Commerce.Payments.Routing;

/// <summary>
/// The per-try timeout of provider calls, armed only when a call actually waits. Polly's timeout strategy starts a
/// timer for every call (about a microsecond here, most of the orchestrator's Polly cost), yet a call that completes
/// synchronously (a cached answer, the simulated PSP) can never time out. The call gets a cancellable token from the
/// start; the timer, and the link to the caller's token, are set up only if it returns an incomplete task, counting
/// from the call's start. A timeout surfaces as <see cref="TimeoutRejectedException"/>, as Polly's did.
/// </summary>
internal sealed class ProviderCallTimeout
{
    // One idle source per thread: a call that completed synchronously never armed a timer or a link, so its source can
    // be reset and reused by the next call on the thread without any stale callback reaching it.
    [ThreadStatic]
    private static CancellationTokenSource? _idle;

    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;

    public ProviderCallTimeout(TimeSpan timeout, TimeProvider timeProvider)
    {
        _timeout = timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan ? timeout : Timeout.InfiniteTimeSpan;
        _timeProvider = timeProvider;
    }

    public ValueTask<ProviderResult> RunAsync<TState>(
        Func<TState, CancellationToken, ValueTask<ProviderResult>> call, TState state, CancellationToken cancellationToken)
    {
        if (_timeout == Timeout.InfiniteTimeSpan)
        {
            return call(state, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var started = _timeProvider.GetTimestamp();
        var source = _idle ?? new CancellationTokenSource();
        _idle = null;
        ValueTask<ProviderResult> pending;
        try
        {
            pending = call(state, source.Token);
        }
        catch
        {
            Recycle(source);
            throw;
        }

        if (pending.IsCompleted)
        {
            Recycle(source);
            return pending;
        }

        return WaitAsync(pending, source, started, cancellationToken);
    }

    private async ValueTask<ProviderResult> WaitAsync(
        ValueTask<ProviderResult> pending, CancellationTokenSource source, long started, CancellationToken cancellationToken)
    {
        // This source gets a timer and a link whose callbacks may still run after they are disposed: never reused.
        using var owned = source;
        var remaining = _timeout - _timeProvider.GetElapsedTime(started);
        using var timer = _timeProvider.CreateTimer(
            static s => ((CancellationTokenSource)s!).Cancel(), source, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        using var link = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source);
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (source.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutRejectedException($"The provider did not answer within {_timeout}.", _timeout);
        }
    }

    private static void Recycle(CancellationTokenSource source)
    {
        if (source.TryReset())
        {
            _idle = source;
        }
        else
        {
            source.Dispose();
        }
    }
}
