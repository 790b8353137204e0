using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Checkout.Recovery;

/// <summary>
/// The hosted recovery worker: every <see cref="CheckoutOptions.RecoveryInterval"/> it drives the sagas whose owner's
/// lease passed (<see cref="CheckoutService.RecoverDueAsync"/>), so every checkout left half-done by a crash, a stalled
/// request or an unknown payment outcome ends completed or compensated.
/// </summary>
public sealed class CheckoutRecoveryService : BackgroundService
{
    private readonly CheckoutService _checkout;
    private readonly CheckoutOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Creates the worker.</summary>
    public CheckoutRecoveryService(CheckoutService checkout, IOptions<CheckoutOptions> options, TimeProvider timeProvider, ILogger<CheckoutRecoveryService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(checkout);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _checkout = checkout;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RecoveryInterval, _timeProvider);
        do
        {
            try
            {
                // A full batch means more may be due: keep going without waiting for the next tick.
                while (await _checkout.RecoverDueAsync(stoppingToken).ConfigureAwait(false) >= _options.RecoveryBatchSize)
                {
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.RecoveryPassFailed(_logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
