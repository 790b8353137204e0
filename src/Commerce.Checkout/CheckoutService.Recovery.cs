using Commerce.Checkout.Storage;

namespace Commerce.Checkout;

public sealed partial class CheckoutService
{
    /// <summary>
    /// Drives every saga whose owner's lease passed (a crashed or stalled request, a parked payment): finishes it or
    /// compensates it. Each saga is taken over with a conditional write first, so two workers never drive the same one.
    /// Returns how many sagas were driven. Called by the hosted recovery worker every <see cref="CheckoutOptions.RecoveryInterval"/>.
    /// </summary>
    public async ValueTask<int> RecoverDueAsync(CancellationToken cancellationToken = default)
    {
        var due = await _store.ListDueAsync(Now(), _options.RecoveryBatchSize, cancellationToken).ConfigureAwait(false);
        var driven = 0;
        foreach (var saga in due)
        {
            try
            {
                var taken = await TakeOverAsync(saga, cancellationToken).ConfigureAwait(false);
                if (taken is null)
                {
                    continue;
                }

                await DriveAsync(taken, live: false, isReplay: false, cancellationToken).ConfigureAwait(false);
                driven++;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One saga's fault must not stop the others; its lease passes again and it is retried.
                LogRecoveryFailure(e, saga.Id);
            }
        }

        return driven;
    }

    /// <summary>Takes a saga over with a new lease; null when another driver moved it first.</summary>
    private async ValueTask<CheckoutSaga?> TakeOverAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        var now = Now();
        var taken = saga with
        {
            Version = saga.Version + 1,
            UpdatedAt = now,
            LeaseExpiresAt = ToMicroseconds(now + _options.SagaLease),
            RecoveryAttempts = saga.RecoveryAttempts + 1,
        };
        var written = await _store.UpdateAsync(taken, cancellationToken).ConfigureAwait(false);
        return written.IsWritten ? taken : null;
    }
}
