using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Payments.Recovery;

/// <summary>
/// Settles unknown PSP outcomes in the background (see <see cref="PaymentService.ResolveAsync"/>), and reaps
/// idempotency keys past their retention window. Safe with several instances running: every settlement is a
/// version-conditional write, and PSP calls reuse the attempt's PSP key.
/// </summary>
internal sealed partial class PaymentResolverService(
    PaymentService payments, IOptions<PaymentsOptions> options, TimeProvider timeProvider, ILogger<PaymentResolverService> logger) : BackgroundService
{
    private static readonly TimeSpan ReapInterval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextReap = timeProvider.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                if (timeProvider.GetUtcNow() >= nextReap)
                {
                    await payments.ReapKeysAsync(stoppingToken).ConfigureAwait(false);
                    nextReap = timeProvider.GetUtcNow() + ReapInterval;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store or a PSP failed: nothing is lost, the next round tries again.
                LogRoundFailed(ex);
            }

            try
            {
                await Task.Delay(options.Value.ResolverInterval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settled = 0;
        foreach (var payment in await payments.FindUnsettledAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await payments.ResolveAsync(payment.Id, cancellationToken).ConfigureAwait(false) == ResolutionResult.Settled)
            {
                settled++;
            }
        }

        return settled;
    }

    [LoggerMessage(1, LogLevel.Warning, "A payment resolver round failed; it will run again.")]
    private partial void LogRoundFailed(Exception exception);
}
