using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Inventory.Expiry;

/// <summary>
/// The expiry sweeper: a hosted service that returns the stock of reservations whose deadline passed. It drains
/// due reservations in batches of <see cref="InventoryOptions.ExpiryBatchSize"/>, then sleeps
/// <see cref="InventoryOptions.ExpiryInterval"/>. Several instances (in one process or many) may run at once: the
/// store expires each reservation exactly once.
/// </summary>
internal sealed partial class ReservationExpiryService(
    InventoryService inventory, TimeProvider timeProvider, ILogger<ReservationExpiryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int expired;
                do
                {
                    expired = await inventory.ExpireDueReservationsAsync(stoppingToken).ConfigureAwait(false);
                    if (expired > 0)
                    {
                        LogExpired(expired);
                    }
                }
                while (expired >= inventory.Options.ExpiryBatchSize && !stoppingToken.IsCancellationRequested);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store is unavailable: nothing is lost, the reservations stay due and the next pass takes them.
                LogSweepFailed(ex);
            }

            try
            {
                await Task.Delay(inventory.Options.ExpiryInterval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Expired {Count} reservations.")]
    private partial void LogExpired(int count);

    [LoggerMessage(2, LogLevel.Warning, "The reservation expiry sweep failed; retrying on the next pass.")]
    private partial void LogSweepFailed(Exception exception);
}
