using System.Collections.Immutable;
using Commerce.Payments.Diagnostics;
using Commerce.Payments.Events;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Ledger;
using Commerce.Payments.Providers;
using Commerce.Payments.Routing;
using Commerce.Payments.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Commerce.Payments;

/// <summary>
/// Orchestrates payments over PSP adapters: authorize, capture, void and refund, idempotent by the caller's key.
/// </summary>
/// <remarks>
/// <para>Every request follows the same recovery points. The caller's key is claimed atomically (a lease); the attempt
/// is persisted as pending, with the PSP key derived from it, before any PSP I/O; the PSP's answer is recorded, with
/// the journal, the outbox events and the key's result, in one write before the answer is returned. A crash between
/// any two of these leaves a pending attempt that a retry with the same key, or the resolver, resumes with the same
/// PSP key, so the PSP never processes it twice.</para>
/// <para>A payment has at most one PSP call in flight: a second operation meanwhile is refused with
/// <c>payments.payment_busy</c>. Writes are conditional on the payment's version, so an API call, a webhook and the
/// resolver racing on one payment settle each attempt exactly once.</para>
/// </remarks>
public sealed partial class PaymentService
{
    private readonly IPaymentStore _store;
    private readonly IIdempotencyKeyStore _keys;
    private readonly bool _keysWithPayments;
    private readonly IKeyClaimWithPayment? _claimsWithPayment;
    private readonly PaymentProviderRegistry _providers;
    private readonly PaymentsOptions _options;
    private readonly bool _recordEvents;
    private readonly TimeProvider _timeProvider;
    private readonly PaymentMetrics? _metrics;
    private readonly ILogger _logger;

    internal PaymentService(
        IPaymentStore store, PaymentProviderRegistry providers, IOptions<PaymentsOptions> options, TimeProvider timeProvider,
        PaymentMetrics? metrics = null, ILogger<PaymentService>? logger = null, IIdempotencyKeyStore? keys = null)
    {
        _store = store;
        _keys = keys ?? store as IIdempotencyKeyStore
            ?? throw new ArgumentException($"{store.GetType().Name} does not hold idempotency keys: register a key store.", nameof(keys));
        // One store for both: a key's result is written in the same atomic write as the payment change.
        _keysWithPayments = ReferenceEquals(_keys, store);
        _claimsWithPayment = _keysWithPayments ? store as IKeyClaimWithPayment : null;
        _providers = providers;
        _options = options.Value;
        // An in-memory store without an outbox (no publisher) would drop the events: don't build them.
        _recordEvents = _options.RecordEvents && store is not InMemory.InMemoryPaymentStore { RecordsEvents: false };
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The time, truncated to microseconds: what every store (PostgreSQL included) keeps, so a payment reads back as written.</summary>
    private DateTimeOffset Now()
    {
        var now = _timeProvider.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>Reads a payment.</summary>
    public ValueTask<Payment?> GetAsync(PaymentId paymentId, CancellationToken cancellationToken) => _store.GetAsync(paymentId, cancellationToken);

    /// <summary>Reads a payment's journal entries.</summary>
    public ValueTask<IReadOnlyList<JournalEntry>> GetJournalAsync(PaymentId paymentId, CancellationToken cancellationToken) =>
        _store.GetJournalAsync(paymentId, cancellationToken);

    /// <summary>Derives every ledger account's balance from the journal.</summary>
    public ValueTask<IReadOnlyList<AccountBalance>> GetBalancesAsync(CancellationToken cancellationToken) => _store.GetBalancesAsync(cancellationToken);

    /// <summary>
    /// Authorizes (holds) an amount: routes it to the best provider and fails over to the next one only when the
    /// first surely did not process it.
    /// </summary>
    /// <returns>The outcome: a decline is a result, not an exception; <see cref="PaymentOutcome.Pending"/> when the PSP's answer is unknown.</returns>
    /// <exception cref="CommerceException">Bad input, a reused key, a request in progress, or an existing payment.</exception>
    public async ValueTask<PaymentResult> AuthorizeAsync(AuthorizePaymentRequest request, CancellationToken cancellationToken)
    {
        var splits = ValidateAuthorize(request);
        var fingerprint = RequestFingerprint.Authorize(request);
        var now = Now();
        var claim = await ClaimAsync(request.IdempotencyKey, PaymentOperation.Authorize, fingerprint, request.PaymentId, now, cancellationToken).ConfigureAwait(false);
        if (claim.Replay is { } replay)
        {
            return replay;
        }

        var key = claim.Record;
        var payment = claim.PaymentRead ? claim.Payment : await _store.GetAsync(request.PaymentId, cancellationToken).ConfigureAwait(false);
        if (payment is null)
        {
            IReadOnlyList<RoutedProvider> route;
            try
            {
                route = _providers.Route(request.Amount, request.Provider);
            }
            catch (CommerceException)
            {
                await _keys.ReleaseKeyAsync(key.Key, forget: true, cancellationToken).ConfigureAwait(false);
                throw;
            }

            if (route.Count == 0)
            {
                await _keys.ReleaseKeyAsync(key.Key, forget: true, cancellationToken).ConfigureAwait(false);
                throw new CommerceValidationException(PaymentErrorCodes.NoProvider, $"No provider accepts {request.Amount.Currency.Code} {request.Amount.MinorUnits}.", "amount");
            }

            var attempt = NewAttempt(request.PaymentId, 1, PaymentOperation.Authorize, route[0].Name, request.Amount.MinorUnits, false, key.Key, now);
            payment = new Payment
            {
                Id = request.PaymentId,
                Amount = request.Amount,
                PaymentMethod = request.PaymentMethod,
                Splits = splits,
                OrderId = request.OrderId,
                Status = PaymentStatus.Created,
                Attempts = [attempt],
                Version = 1,
                CreatedAt = now,
                UpdatedAt = now,
            };
            // Recovery point: the attempt, its PSP key and the caller's key exist before the PSP hears of them.
            var status = await _store.WriteAsync(new PaymentWrite { Payment = payment, ExpectedVersion = 0 }, cancellationToken).ConfigureAwait(false);
            if (status != PaymentWriteStatus.Written)
            {
                await _keys.ReleaseKeyAsync(key.Key, forget: true, cancellationToken).ConfigureAwait(false);
                throw PaymentExists(request.PaymentId);
            }

            _metrics?.AttemptStarted(attempt);
            return await SettleAsync(payment, 1, key, route, 1, cancellationToken, fresh: true).ConfigureAwait(false);
        }

        if (key.AttemptNumber is null && FindRequestAttempt(payment, key.Key, now) is not { Operation: PaymentOperation.Authorize })
        {
            // The payment was made under another key: this request did nothing and must leave nothing behind.
            await _keys.ReleaseKeyAsync(key.Key, forget: true, cancellationToken).ConfigureAwait(false);
            throw PaymentExists(request.PaymentId);
        }

        if (payment.Amount != request.Amount || !string.Equals(payment.PaymentMethod, request.PaymentMethod, StringComparison.Ordinal))
        {
            // Only when the key's record was lost: the payments say this key started another request.
            await _keys.ReleaseKeyAsync(key.Key, forget: true, cancellationToken).ConfigureAwait(false);
            throw KeyReused(request.IdempotencyKey);
        }

        return await ResumeAuthorizationAsync(payment, key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A resume: continue with the latest authorization attempt, failing over past the providers already tried.</summary>
    // Apart from AuthorizeAsync so that its closure over the payment is allocated only on this path.
    private ValueTask<PaymentResult> ResumeAuthorizationAsync(Payment payment, IdempotencyRecord key, CancellationToken cancellationToken)
    {
        var latest = LatestAttempt(payment, PaymentOperation.Authorize);
        var remaining = _providers.Route(payment.Amount, null, name => payment.Attempts.Any(a => a.Provider == name));
        return SettleAsync(payment, latest.Number, key, remaining, 0, cancellationToken);
    }

    /// <summary>Captures part or all of an authorization; several partial captures may follow, never beyond the authorized amount.</summary>
    /// <exception cref="CommerceException">Bad input, an unknown payment, a state that forbids capture, an amount beyond the authorization, or a busy payment.</exception>
    public ValueTask<PaymentResult> CaptureAsync(CapturePaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateKey(request.IdempotencyKey);
        ValidateAmount(request.Amount);
        return RunOperationAsync(
            request.PaymentId, request.IdempotencyKey, PaymentOperation.Capture, request.Amount, request.IsFinal,
            RequestFingerprint.Capture(request), cancellationToken);
    }

    /// <summary>Cancels an authorization before any capture.</summary>
    /// <exception cref="CommerceException">Bad input, an unknown payment, a state that forbids voiding, or a busy payment.</exception>
    public ValueTask<PaymentResult> VoidAsync(VoidPaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateKey(request.IdempotencyKey);
        return RunOperationAsync(
            request.PaymentId, request.IdempotencyKey, PaymentOperation.Void, null, false, RequestFingerprint.Void(request), cancellationToken);
    }

    /// <summary>Refunds part or all of the captured amount; several partial refunds may follow, never beyond the captured amount.</summary>
    /// <exception cref="CommerceException">Bad input, an unknown payment, a state that forbids refunds, an amount beyond the captured amount, or a busy payment.</exception>
    public ValueTask<PaymentResult> RefundAsync(RefundPaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateKey(request.IdempotencyKey);
        ValidateAmount(request.Amount);
        return RunOperationAsync(
            request.PaymentId, request.IdempotencyKey, PaymentOperation.Refund, request.Amount, false, RequestFingerprint.Refund(request), cancellationToken);
    }

    private async ValueTask<PaymentResult> RunOperationAsync(
        PaymentId paymentId, IdempotencyKey idempotencyKey, PaymentOperation operation, Money? amount, bool isFinal, Guid fingerprint,
        CancellationToken cancellationToken)
    {
        var now = Now();
        var claim = await ClaimAsync(idempotencyKey, operation, fingerprint, paymentId, now, cancellationToken).ConfigureAwait(false);
        if (claim.Replay is { } replay)
        {
            return replay;
        }

        var key = claim.Record;
        var bound = false;
        var read = claim.PaymentRead;
        try
        {
            while (true)
            {
                // The first pass takes the payment the claim read with it, if the store did; a retry reads it again.
                var payment = (read ? claim.Payment : await _store.GetAsync(paymentId, cancellationToken).ConfigureAwait(false))
                    ?? throw new CommerceException(new CommerceError(PaymentErrorCodes.UnknownPayment, $"Payment '{paymentId}' does not exist.", "paymentId"));
                read = false;
                var resumed = key.AttemptNumber is { } number ? payment.Attempts[number - 1] : FindRequestAttempt(payment, key.Key, now);
                if (resumed is not null)
                {
                    // This key started an attempt before (a crash, an unknown outcome, or a lost key record): continue it.
                    if (resumed.Operation != operation || resumed.AmountMinor != (amount?.MinorUnits ?? 0) || resumed.IsFinal != isFinal)
                    {
                        throw KeyReused(idempotencyKey);
                    }

                    bound = true;
                    return await SettleAsync(payment, resumed.Number, key, null, 0, cancellationToken).ConfigureAwait(false);
                }

                var attemptAmount = CheckOperationAllowed(payment, operation, amount);
                now = Now();
                var attempt = NewAttempt(paymentId, payment.Attempts.Length + 1, operation, payment.Authorization!.Provider, attemptAmount, isFinal, key.Key, now);
                var started = payment with { Attempts = payment.Attempts.Add(attempt), Version = payment.Version + 1, UpdatedAt = now };
                var status = await _store.WriteAsync(new PaymentWrite { Payment = started, ExpectedVersion = payment.Version }, cancellationToken)
                    .ConfigureAwait(false);
                if (status == PaymentWriteStatus.Written)
                {
                    bound = true;
                    _metrics?.AttemptStarted(attempt);
                    return await SettleAsync(started, attempt.Number, key, null, 0, cancellationToken, fresh: true).ConfigureAwait(false);
                }

                // Someone changed the payment meanwhile: check again against its new state.
            }
        }
        catch (CommerceException) when (!bound)
        {
            // Refused before anything was written: the key must not remember a request that did nothing.
            await _keys.ReleaseKeyAsync(key.Key, forget: true, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The attempt a request with <paramref name="key"/> started on the payment within the key retention window, if
    /// any: the latest, for an authorization that failed over. The payments are the source of truth for what a key did.
    /// </summary>
    private PaymentAttempt? FindRequestAttempt(Payment payment, string key, DateTimeOffset now)
    {
        var since = now - _options.KeyRetention;
        for (var i = payment.Attempts.Length - 1; i >= 0; i--)
        {
            var attempt = payment.Attempts[i];
            if (string.Equals(attempt.RequestKey, key, StringComparison.Ordinal) && attempt.CreatedAt >= since)
            {
                return attempt;
            }
        }

        return null;
    }

    private static long CheckOperationAllowed(Payment payment, PaymentOperation operation, Money? amount)
    {
        if (amount is { } money && money.Currency != payment.Amount.Currency)
        {
            throw new CommerceValidationException(
                PaymentErrorCodes.CurrencyMismatch, $"The payment is in {payment.Amount.Currency.Code}; the request is in {money.Currency.Code}.", "amount");
        }

        if (payment.InFlight is { } inFlight)
        {
            throw new CommerceException(new CommerceError(
                PaymentErrorCodes.PaymentBusy,
                $"Payment '{payment.Id}' has a {PaymentAttempt.OperationName(inFlight.Operation)} in flight ({inFlight.Status}); try again once it settles."));
        }

        if (!PaymentTransitions.CanStart(operation, payment.Status) || (operation == PaymentOperation.Capture && payment.CaptureClosed))
        {
            throw new CommerceException(new CommerceError(
                PaymentErrorCodes.InvalidTransition, $"A {PaymentAttempt.OperationName(operation)} cannot start on a payment in {payment.Status}."));
        }

        var value = amount?.MinorUnits ?? 0;
        if (operation == PaymentOperation.Capture && value > payment.AuthorizedMinor - payment.CapturedMinor)
        {
            throw new CommerceException(new CommerceError(
                PaymentErrorCodes.CaptureExceedsAuthorized,
                $"Capturing {value} would exceed the authorized {payment.AuthorizedMinor}; {payment.CapturedMinor} is captured already.", "amount"));
        }

        if (operation == PaymentOperation.Refund && value > payment.CapturedMinor - payment.RefundedMinor)
        {
            throw new CommerceException(new CommerceError(
                PaymentErrorCodes.RefundExceedsCaptured,
                $"Refunding {value} would exceed the captured {payment.CapturedMinor}; {payment.RefundedMinor} is refunded already.", "amount"));
        }

        return value;
    }

    /// <summary>
    /// Drives one attempt to a settled state and records it; for an authorization that surely failed, moves on to the
    /// next provider of <paramref name="route"/> (from <paramref name="nextRouteIndex"/>) with a new attempt and PSP key.
    /// </summary>
    private async ValueTask<PaymentResult> SettleAsync(
        Payment payment, int number, IdempotencyRecord key, IReadOnlyList<RoutedProvider>? route, int nextRouteIndex, CancellationToken cancellationToken,
        bool fresh = false)
    {
        // Only an attempt this run persisted itself is known never to have been sent before.
        var sentBefore = !fresh;
        while (true)
        {
            var attempt = payment.Attempts[number - 1];
            if (attempt.Status is not (AttemptStatus.Pending or AttemptStatus.Unknown))
            {
                // Settled already (by an earlier run, a webhook or the resolver): finish the key with what happened.
                return await CompleteAsync(payment, attempt, key, cancellationToken).ConfigureAwait(false);
            }

            if (sentBefore)
            {
                // A resend: persist the intent first, like the first send, so no one settles the attempt from what the
                // PSP said before this send reached it.
                var sending = PaymentChanges.MarkSending(payment, number, Now());
                if (await _store.WriteAsync(new PaymentWrite { Payment = sending, ExpectedVersion = payment.Version }, cancellationToken).ConfigureAwait(false)
                    != PaymentWriteStatus.Written)
                {
                    payment = await _store.GetAsync(payment.Id, cancellationToken).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"Payment {payment.Id} vanished.");
                    continue;
                }

                payment = sending;
                attempt = payment.Attempts[number - 1];
            }

            var result = await CallProviderAsync(payment, attempt, sentBefore, cancellationToken).ConfigureAwait(false);
            sentBefore = true;
            var now = Now();
            var settled = PaymentChanges.Apply(payment, number, result, now, out var journal);
            var settledAttempt = settled.Attempts[number - 1];
            PaymentAttempt? next = null;
            if (settledAttempt.Status == AttemptStatus.Failed && attempt.Operation == PaymentOperation.Authorize
                && route is not null && nextRouteIndex < route.Count)
            {
                // Failover: the first provider surely did not charge, so the next one gets a new attempt and a new PSP key.
                next = NewAttempt(payment.Id, settled.Attempts.Length + 1, PaymentOperation.Authorize, route[nextRouteIndex].Name, attempt.AmountMinor, false, key.Key, now);
                settled = settled with { Attempts = settled.Attempts.Add(next) };
                settled = settled with { Status = PaymentChanges.Derive(settled) };
                PaymentTransitions.EnsureAllowed(payment.Status, settled.Status);
            }

            var outcome = next is null ? OutcomeOf(settledAttempt) : PaymentOutcome.Pending;
            IdempotencyRecord? newKey = outcome switch
            {
                PaymentOutcome.Pending when next is not null => null, // still held: the failed-over attempt runs next
                PaymentOutcome.Pending => key with { State = IdempotencyState.Open },
                _ => key with { State = IdempotencyState.Completed, AttemptNumber = number, Result = ResultOf(settled, settledAttempt) },
            };
            var events = _recordEvents ? [PaymentEventFactory.Create(settled, settledAttempt, now)] : Array.Empty<PaymentOutboxEvent>();
            var write = new PaymentWrite
            {
                Payment = settled,
                ExpectedVersion = payment.Version,
                Journal = journal,
                Events = events,
                Key = _keysWithPayments ? newKey : null,
            };
            var status = await _store.WriteAsync(write, cancellationToken).ConfigureAwait(false);
            if (status != PaymentWriteStatus.Written)
            {
                // A webhook or the resolver recorded something meanwhile: read again; a settled attempt is taken as it is,
                // a still pending one is sent again with the same PSP key, which the PSP answers without processing twice.
                payment = await _store.GetAsync(payment.Id, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Payment {payment.Id} vanished.");
                continue;
            }

            _metrics?.AttemptSettled(settledAttempt);
            if (newKey is not null && !_keysWithPayments)
            {
                await SaveKeyAfterWriteAsync(newKey.Value, cancellationToken).ConfigureAwait(false);
            }

            if (next is not null)
            {
                LogFailover(attempt.Provider, next.Provider, payment.Id.Value, settledAttempt.FailureCode);
                _metrics?.AttemptStarted(next);
                payment = settled;
                number = next.Number;
                nextRouteIndex++;
                sentBefore = false;
                continue;
            }

            if (outcome == PaymentOutcome.Pending)
            {
                LogUnknownOutcome(attempt.Provider, payment.Id.Value, PaymentAttempt.OperationName(attempt.Operation), settledAttempt.FailureCode);
            }

            return new PaymentResult(outcome, settled, number, settledAttempt.FailureCode, settledAttempt.FailureMessage, false);
        }
    }

    private async ValueTask<PaymentResult> CompleteAsync(Payment payment, PaymentAttempt attempt, IdempotencyRecord key, CancellationToken cancellationToken)
    {
        var outcome = OutcomeOf(attempt);
        if (outcome == PaymentOutcome.Failed && attempt.Operation == PaymentOperation.Authorize && payment.InFlight is { } newer && newer.Number > attempt.Number)
        {
            // A failed-over attempt follows this one: that is the one to settle.
            return await SettleAsync(payment, newer.Number, key, null, 0, cancellationToken).ConfigureAwait(false);
        }

        var completed = key with { State = IdempotencyState.Completed, AttemptNumber = attempt.Number, Result = ResultOf(payment, attempt) };
        if (_keysWithPayments)
        {
            await _keys.SaveKeyAsync(completed, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await SaveKeyAfterWriteAsync(completed, cancellationToken).ConfigureAwait(false);
        }

        return new PaymentResult(outcome, payment, attempt.Number, attempt.FailureCode, attempt.FailureMessage, false);
    }

    /// <summary>
    /// Saves a key's record in a separate key store once the payment write is done. The payment already holds the
    /// outcome, so a failure here is logged, not thrown: the caller gets the answer, and a retry after the lease finds
    /// its attempt in the payments and returns the same outcome.
    /// </summary>
    private async ValueTask SaveKeyAfterWriteAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await _keys.SaveKeyAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogKeySaveFailed(ex, record.PaymentId.Value);
        }
    }

    private async ValueTask<ProviderResult> CallProviderAsync(Payment payment, PaymentAttempt attempt, bool sentBefore, CancellationToken cancellationToken)
    {
        var provider = _providers.Find(attempt.Provider);
        if (provider is null)
        {
            // The attempt names a provider no longer configured: it cannot be sent, and must not be guessed.
            return ProviderResult.Unknown("provider_not_configured", $"Provider '{attempt.Provider}' is not configured.");
        }

        var call = ProviderCall.Rent(provider, payment, attempt);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await provider.Pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        var result = await state.SendAsync(ctx.CancellationToken).ConfigureAwait(false);
                        state.MaybeProcessed |= result.Outcome == ProviderOutcome.Unknown;
                        return Outcome.FromResult(result);
                    }
                    catch (Exception ex)
                    {
                        state.MaybeProcessed = true;
                        return Outcome.FromException<ProviderResult>(ex);
                    }
                },
                context,
                call).ConfigureAwait(false);
            var result = outcome.Exception switch
            {
                null => outcome.Result,
                BrokenCircuitException => ProviderResult.NotSent("circuit_open", $"The circuit to '{attempt.Provider}' is open."),
                TimeoutRejectedException => ProviderResult.Unknown("timeout", $"'{attempt.Provider}' did not answer in time."),
                OperationCanceledException when cancellationToken.IsCancellationRequested => throw outcome.Exception,
                _ => ProviderResult.Unknown("provider_exception", outcome.Exception.GetType().Name),
            };
            if (result.Outcome == ProviderOutcome.NotProcessed && (call.MaybeProcessed || sentBefore))
            {
                // "Not processed" (or not sent: an open circuit) speaks only for the last send: an earlier send of the
                // same PSP key (a retry here, or a run that died) may have been processed, so the attempt stays unknown
                // until the PSP says what happened.
                return ProviderResult.Unknown("inconclusive", result.FailureMessage, result.PspReference);
            }

            return result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            call.Return();
        }
    }

    private async ValueTask<Claimed> ClaimAsync(
        IdempotencyKey idempotencyKey, PaymentOperation operation, Guid fingerprint, PaymentId paymentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var candidate = new IdempotencyRecord
        {
            Key = idempotencyKey.Value,
            Operation = operation,
            Fingerprint = fingerprint,
            PaymentId = paymentId,
            State = IdempotencyState.InProgress,
            LeaseExpiresAt = now + _options.KeyLease,
            CreatedAt = now,
        };
        IdempotencyClaim claim;
        Payment? read = null;
        if (_claimsWithPayment is not null)
        {
            (claim, read) = await _claimsWithPayment.ClaimKeyWithPaymentAsync(candidate, now, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            claim = await _keys.ClaimKeyAsync(candidate, now, cancellationToken).ConfigureAwait(false);
        }

        switch (claim.Status)
        {
            case IdempotencyClaimStatus.Claimed:
            case IdempotencyClaimStatus.Resumed:
                return new Claimed(null, claim.Record, read, _claimsWithPayment is not null);
            case IdempotencyClaimStatus.Completed:
                var result = claim.Record.Result!.Value;
                var payment = (_claimsWithPayment is not null && claim.Record.PaymentId == paymentId
                        ? read
                        : await _store.GetAsync(claim.Record.PaymentId, cancellationToken).ConfigureAwait(false))
                    ?? throw new InvalidOperationException($"Payment {claim.Record.PaymentId} of key {idempotencyKey} vanished.");
                _metrics?.Replayed();
                return new Claimed(new PaymentResult(result.Outcome, payment, result.AttemptNumber, result.FailureCode, result.FailureMessage, true), default, null, false);
            case IdempotencyClaimStatus.InProgress:
                throw new CommerceException(new CommerceError(
                    PaymentErrorCodes.RequestInProgress, $"A request with idempotency key '{idempotencyKey}' is still in progress; retry later.", "idempotencyKey"));
            default:
                throw KeyReused(idempotencyKey);
        }
    }

    /// <summary>What a claim gave: a replay, or the held key with the payment when the store read it in the same call.</summary>
    private readonly record struct Claimed(PaymentResult? Replay, IdempotencyRecord Record, Payment? Payment, bool PaymentRead);

    private static CommerceException KeyReused(IdempotencyKey key) =>
        new(new CommerceError(PaymentErrorCodes.IdempotencyKeyReused, $"Idempotency key '{key}' was used before with a different request.", "idempotencyKey"));

    private static PaymentAttempt NewAttempt(
        PaymentId paymentId, int number, PaymentOperation operation, string provider, long amount, bool isFinal, string requestKey, DateTimeOffset now) => new()
        {
            RequestKey = requestKey,
            Number = number,
            Operation = operation,
            Provider = provider,
            AmountMinor = amount,
            IsFinal = isFinal,
            PspKey = PaymentAttempt.DerivePspKey(paymentId, number, operation),
            Status = AttemptStatus.Pending,
            CreatedAt = now,
            UpdatedAt = now,
        };

    private static PaymentAttempt LatestAttempt(Payment payment, PaymentOperation operation)
    {
        for (var i = payment.Attempts.Length - 1; i >= 0; i--)
        {
            if (payment.Attempts[i].Operation == operation)
            {
                return payment.Attempts[i];
            }
        }

        throw new InvalidOperationException($"Payment {payment.Id} has no {operation} attempt.");
    }

    internal static PaymentOutcome OutcomeOf(PaymentAttempt attempt) => attempt.Status switch
    {
        AttemptStatus.Succeeded => PaymentOutcome.Succeeded,
        AttemptStatus.Declined => PaymentOutcome.Declined,
        AttemptStatus.Failed => PaymentOutcome.Failed,
        _ => PaymentOutcome.Pending,
    };

    private static StoredPaymentResult ResultOf(Payment payment, PaymentAttempt attempt) =>
        new(OutcomeOf(attempt), payment.Status, attempt.Number, attempt.FailureCode, attempt.FailureMessage);

    private static CommerceException PaymentExists(PaymentId id) =>
        new(new CommerceError(PaymentErrorCodes.PaymentExists, $"Payment '{id}' already exists and was authorized with another idempotency key.", "paymentId"));

    [LoggerMessage(1, LogLevel.Warning, "Provider {Provider} surely did not process payment {PaymentId} ({Code}); failing over to {Next}.")]
    private partial void LogFailover(string provider, string next, string paymentId, string? code);

    [LoggerMessage(3, LogLevel.Warning, "Payment {PaymentId} is recorded, but saving its idempotency key failed; a retry resumes from the payment after the lease.")]
    private partial void LogKeySaveFailed(Exception exception, string paymentId);

    [LoggerMessage(2, LogLevel.Warning, "The outcome of a {Operation} of payment {PaymentId} at {Provider} is unknown ({Code}); the resolver will settle it.")]
    private partial void LogUnknownOutcome(string provider, string paymentId, string operation, string? code);

    /// <summary>
    /// The state a provider call needs, passed to Polly without a closure. One instance per thread is reused: a call
    /// returns it when it is over, and a call that yielded (awaited a real PSP) may finish on another thread, where its
    /// instance simply takes the free place or is dropped.
    /// </summary>
    private sealed class ProviderCall
    {
        [ThreadStatic]
        private static ProviderCall? _free;

        private RoutedProvider _routed = null!;
        private Payment _payment = null!;
        private PaymentAttempt _attempt = null!;

        /// <summary>Whether any send so far may have reached the PSP and been processed.</summary>
        public bool MaybeProcessed;

        public static ProviderCall Rent(RoutedProvider routed, Payment payment, PaymentAttempt attempt)
        {
            var call = _free ?? new ProviderCall();
            _free = null;
            call._routed = routed;
            call._payment = payment;
            call._attempt = attempt;
            call.MaybeProcessed = false;
            return call;
        }

        public void Return()
        {
            _routed = null!;
            _payment = null!;
            _attempt = null!;
            _free = this;
        }

        /// <summary>One try, under the provider's per-try timeout.</summary>
        public ValueTask<ProviderResult> SendAsync(CancellationToken cancellationToken) =>
            _routed.Timeout.RunAsync(static (self, token) => self.SendOnceAsync(token), this, cancellationToken);

        private ValueTask<ProviderResult> SendOnceAsync(CancellationToken cancellationToken)
        {
            var provider = _routed.Provider;
            var authorization = _payment.Authorization;
            var reference = PaymentReference.Format(_payment.Id, authorization?.Number ?? _attempt.Number);
            var pspReference = authorization?.PspReference ?? string.Empty;
            var currency = _payment.Amount.Currency;
            return _attempt.Operation switch
            {
                PaymentOperation.Authorize => provider.AuthorizeAsync(
                    new ProviderAuthorizeRequest(reference, new Money(_attempt.AmountMinor, currency), _payment.PaymentMethod, _attempt.PspKey), cancellationToken),
                PaymentOperation.Capture => provider.CaptureAsync(
                    new ProviderCaptureRequest(reference, pspReference, new Money(_attempt.AmountMinor, currency), _attempt.IsFinal, _attempt.PspKey), cancellationToken),
                PaymentOperation.Void => provider.VoidAsync(new ProviderVoidRequest(reference, pspReference, _attempt.PspKey), cancellationToken),
                _ => provider.RefundAsync(
                    new ProviderRefundRequest(reference, pspReference, new Money(_attempt.AmountMinor, currency), _attempt.PspKey), cancellationToken),
            };
        }
    }
}
