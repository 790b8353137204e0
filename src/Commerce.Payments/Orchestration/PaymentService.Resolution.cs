using Commerce.Payments.Events;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Providers;
using Commerce.Payments.Storage;

namespace Commerce.Payments;

/// <summary>What the resolver did with one payment.</summary>
public enum ResolutionResult
{
    /// <summary>Nothing to resolve: no attempt in flight, or one still within its lease.</summary>
    NothingToDo,

    /// <summary>Not yet: the attempt waits for its next try (backoff), or the PSP could not tell.</summary>
    Postponed,

    /// <summary>The attempt was settled from the PSP's answer.</summary>
    Settled,
}

public sealed partial class PaymentService
{
    /// <summary>
    /// Settles a payment's unknown (or abandoned pending) attempt by asking its PSP. An unknown authorization is looked
    /// up by our reference: it becomes succeeded or declined on the PSP's word, and failed only when the PSP confirms it
    /// has no record, never because time passed. Anything else (a capture, void or refund, or an authorization still
    /// pending) is sent again with its own PSP key, which the PSP answers without processing twice.
    /// Until settled, nothing else happens to the payment, and it is never retried at another provider.
    /// </summary>
    /// <remarks>
    /// A pending authorization is never concluded from a lookup: its request may be alive past its lease (a paused
    /// process) and send it after the PSP answered "no record", which would leave a charge we recorded as failed.
    /// Sending it again instead is safe whoever sends first: the PSP processes the key once and answers both alike.
    /// An unknown attempt's sends are over (its request recorded the unknown answer; a retry marks it pending, with a
    /// new version, before sending again), so a lookup can settle it.
    /// </remarks>
    public async ValueTask<ResolutionResult> ResolveAsync(PaymentId paymentId, CancellationToken cancellationToken)
    {
        var payment = await _store.GetAsync(paymentId, cancellationToken).ConfigureAwait(false);
        var now = Now();
        if (payment?.InFlight is not { } attempt || !IsDue(attempt, now))
        {
            return ResolutionResult.NothingToDo;
        }

        var provider = _providers.Find(attempt.Provider);
        if (provider is null)
        {
            _metrics?.Resolution(attempt.Provider, "provider_missing");
            return ResolutionResult.Postponed;
        }

        ProviderResult? result;
        if (attempt.Operation == PaymentOperation.Authorize && attempt.Status == AttemptStatus.Unknown)
        {
            ProviderStatus status;
            try
            {
                status = await provider.Provider.GetStatusAsync(
                    new ProviderStatusRequest(PaymentReference.Format(payment.Id, attempt.Number), attempt.PspReference, payment.Amount.Currency),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                status = ProviderStatus.Unavailable;
            }

            result = status.State switch
            {
                ProviderPaymentState.Authorized or ProviderPaymentState.Voided => ProviderResult.Success(status.PspReference),
                ProviderPaymentState.Declined => ProviderResult.Decline("declined", "The provider reports the authorization declined.", status.PspReference),
                ProviderPaymentState.NotFound => ProviderResult.NotSent("not_found_at_provider", "The provider confirms it has no record of the authorization."),
                _ => null,
            };
        }
        else
        {
            // Persist the intent first, as a request's own resend does: a request still settling the attempt from an
            // older send's answer (a refusal, say) then loses its version check instead of failing a charged attempt.
            var sending = PaymentChanges.MarkSending(payment, attempt.Number, now);
            if (await _store.WriteAsync(new PaymentWrite { Payment = sending, ExpectedVersion = payment.Version }, cancellationToken).ConfigureAwait(false)
                != PaymentWriteStatus.Written)
            {
                _metrics?.Resolution(attempt.Provider, "conflict");
                return ResolutionResult.Postponed;
            }

            payment = sending;
            attempt = sending.Attempts[attempt.Number - 1];
            var sent = await CallProviderAsync(payment, attempt, sentBefore: true, cancellationToken).ConfigureAwait(false);
            result = sent.Outcome == ProviderOutcome.Unknown ? null : sent;
        }

        now = Now();
        var write = result is { } known
            ? SettleWrite(payment, attempt, known, now)
            : new PaymentWrite { Payment = PaymentChanges.Postpone(payment, attempt.Number, now), ExpectedVersion = payment.Version };
        var written = await _store.WriteAsync(write, cancellationToken).ConfigureAwait(false) == PaymentWriteStatus.Written;
        var outcome = !written ? "conflict" : result is null ? "postponed" : "settled";
        _metrics?.Resolution(attempt.Provider, outcome);
        if (written && result is not null)
        {
            _metrics?.AttemptSettled(write.Payment.Attempts[attempt.Number - 1]);
        }

        return written && result is not null ? ResolutionResult.Settled : ResolutionResult.Postponed;
    }

    /// <summary>Payments with an attempt in flight that may be due for resolution.</summary>
    internal ValueTask<IReadOnlyList<Payment>> FindUnsettledAsync(CancellationToken cancellationToken) =>
        _store.FindUnsettledAsync(Now() - MinimumResolveDelay(), _options.ResolverBatchSize, cancellationToken);

    /// <summary>
    /// Deletes idempotency keys older than the retention window. With a separate key store, a payment store that can
    /// hold keys is reaped too: it clears its own leftovers there (PostgreSQL: old outbox events and webhook receipts).
    /// </summary>
    internal async ValueTask<int> ReapKeysAsync(CancellationToken cancellationToken)
    {
        var createdBefore = Now() - _options.KeyRetention;
        var reaped = await _keys.ReapKeysAsync(createdBefore, 10_000, cancellationToken).ConfigureAwait(false);
        if (!_keysWithPayments && _store is IIdempotencyKeyStore storeKeys)
        {
            reaped += await storeKeys.ReapKeysAsync(createdBefore, 10_000, cancellationToken).ConfigureAwait(false);
        }

        return reaped;
    }

    private PaymentWrite SettleWrite(Payment payment, PaymentAttempt attempt, ProviderResult result, DateTimeOffset now)
    {
        var settled = PaymentChanges.Apply(payment, attempt.Number, result, now, out var journal);
        var events = _recordEvents ? [PaymentEventFactory.Create(settled, settled.Attempts[attempt.Number - 1], now)] : Array.Empty<PaymentOutboxEvent>();
        return new PaymentWrite { Payment = settled, ExpectedVersion = payment.Version, Journal = journal, Events = events };
    }

    /// <summary>
    /// An attempt waits the provider's resolve delay, doubling per fruitless try up to ten minutes; a pending one at
    /// least the key lease, while its live request is expected to settle it.
    /// </summary>
    private bool IsDue(PaymentAttempt attempt, DateTimeOffset now)
    {
        var baseDelay = _providers.Find(attempt.Provider)?.Options.ResolveBaseDelay ?? TimeSpan.FromSeconds(5);
        var delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(10).Ticks, baseDelay.Ticks << Math.Min(attempt.ResolveTries, 20)));
        return now - attempt.UpdatedAt >= (attempt.Status == AttemptStatus.Pending && delay < _options.KeyLease ? _options.KeyLease : delay);
    }

    private TimeSpan MinimumResolveDelay()
    {
        var minimum = _options.KeyLease;
        foreach (var provider in _providers.All)
        {
            var delay = provider.Options.ResolveBaseDelay;
            minimum = delay < minimum ? delay : minimum;
        }

        return minimum;
    }
}
