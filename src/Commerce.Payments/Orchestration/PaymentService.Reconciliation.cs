using System.Runtime.CompilerServices;
using Commerce.Payments.Reconciliation;

namespace Commerce.Payments;

public sealed partial class PaymentService
{
    /// <summary>
    /// Streams our succeeded captures and refunds at <paramref name="provider"/> for payments that changed in
    /// [<paramref name="changedFrom"/>, <paramref name="changedTo"/>): the "ours" side of a
    /// <see cref="SettlementReconciler"/> run against that provider's settlement report. Operations carry the PSP's
    /// payment reference; they match report lines within their payment by kind and amount.
    /// </summary>
    public async IAsyncEnumerable<SettledOperation> StreamSettledOperationsAsync(
        string provider, DateTimeOffset changedFrom, DateTimeOffset changedTo, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        await foreach (var payment in _store.StreamChangedAsync(changedFrom, changedTo, cancellationToken).ConfigureAwait(false))
        {
            if (payment.Authorization is not { PspReference: { } pspReference } authorization || authorization.Provider != provider)
            {
                continue;
            }

            foreach (var attempt in payment.Attempts)
            {
                if (attempt.Status != AttemptStatus.Succeeded || attempt.Operation is not (PaymentOperation.Capture or PaymentOperation.Refund))
                {
                    continue;
                }

                var kind = attempt.Operation == PaymentOperation.Capture ? SettlementKind.Capture : SettlementKind.Refund;
                yield return new SettledOperation(pspReference, kind, new Money(attempt.AmountMinor, payment.Amount.Currency));
            }
        }
    }
}
