using Commerce.Checkout.Storage;
using Commerce.Payments;

namespace Commerce.Checkout;

public sealed partial class CheckoutService
{
    // A saga needs at most about eight moves (begin, authorize, confirm, capture, complete, or fail, void, compensate);
    // a few more absorb lost races. Past this the saga is left to the recovery worker.
    private const int MaxMoves = 24;

    /// <summary>
    /// Moves a saga forward from wherever it stands until it finishes or has to wait (an unknown payment outcome, another
    /// request holding the payment). <paramref name="live"/> is false for a saga taken over from a crashed or stalled
    /// driver: then payment states are read before acting, so an unknown outcome is left to the payments resolver.
    /// </summary>
    private async ValueTask<CheckoutResult> DriveAsync(CheckoutSaga saga, bool live, bool isReplay, CancellationToken cancellationToken)
    {
        for (var move = 0; move < MaxMoves; move++)
        {
            switch (saga.Step)
            {
                case CheckoutStep.Started:
                    {
                        var begun = await ResumeBeginAsync(saga, cancellationToken).ConfigureAwait(false);
                        if (begun.Saga is null)
                        {
                            return begun.Result!;
                        }

                        saga = begun.Saga;
                        break;
                    }

                case CheckoutStep.OrderPlaced:
                    {
                        var next = await AuthorizeAsync(saga, live, cancellationToken).ConfigureAwait(false);
                        if (next.Saga is null)
                        {
                            return next.Result!;
                        }

                        saga = next.Saga;
                        break;
                    }

                case CheckoutStep.Paid when saga.CaptureMode == CaptureMode.Immediate:
                    {
                        var next = await CaptureAsync(saga, live, cancellationToken).ConfigureAwait(false);
                        if (next.Saga is null)
                        {
                            return next.Result!;
                        }

                        saga = next.Saga;
                        break;
                    }

                case CheckoutStep.Paid:
                    {
                        // On-shipment capture: paid is as far as the checkout goes; the shipments drive the rest.
                        var written = await _store.UpdateAsync(Next(saga, CheckoutStep.AwaitingShipment), cancellationToken).ConfigureAwait(false);
                        saga = written.Current ?? saga;
                        break;
                    }

                case CheckoutStep.Compensating:
                    {
                        var next = await CompensateAsync(saga, live, cancellationToken).ConfigureAwait(false);
                        if (next.Saga is null)
                        {
                            return next.Result!;
                        }

                        saga = next.Saga;
                        break;
                    }

                default:
                    return ResultOf(saga, isReplay);
            }
        }

        return ResultOf(saga, isReplay);
    }

    /// <summary>Finishes the begin of a saga a composing store recorded at <see cref="CheckoutStep.Started"/>.</summary>
    private async ValueTask<Move> ResumeBeginAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        var now = Now();
        BeginResult begun;
        try
        {
            begun = await _store.BeginAsync(saga with
            {
                Step = CheckoutStep.OrderPlaced,
                Version = saga.Version + 1,
                UpdatedAt = now,
                LeaseExpiresAt = ToMicroseconds(now + _options.SagaLease),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (CommerceException e) when (e.Code == Inventory.InventoryErrorCodes.UnknownSku)
        {
            return Move.Stop(Rejected(new CommerceError(CheckoutErrorCodes.UnknownSku, e.Error.Message, "Lines")));
        }

        if (begun.Saga is { } next && next.Id == saga.Id)
        {
            return Move.To(next);
        }

        // No stock (the claim was withdrawn: nothing is stored) or, in a lost race, the key now names another checkout.
        return Move.Stop(new CheckoutResult(CheckoutStatus.Rejected, SoldOutError(null))
        {
            CheckoutId = saga.Id,
            Availability = begun.Availability ?? [],
            IsReplay = true,
        });
    }

    private async ValueTask<Move> AuthorizeAsync(CheckoutSaga saga, bool live, CancellationToken cancellationToken)
    {
        if (!live)
        {
            var payment = await _payments.GetAsync(saga.PaymentId, cancellationToken).ConfigureAwait(false);
            if (payment is { Status: PaymentStatus.Unknown })
            {
                // The PSP may have authorized: only the payments resolver can say. Wait for it instead of guessing.
                return await WaitAsync(saga, CheckoutErrorCodes.PaymentPending, cancellationToken).ConfigureAwait(false);
            }
        }

        PaymentResult result;
        try
        {
            result = await _payments.AuthorizeAsync(new AuthorizePaymentRequest(saga.PaymentId, CheckoutSagas.AuthorizeKey(saga), saga.Total, saga.PaymentMethod)
            {
                Splits = Splits(saga),
                OrderId = saga.OrderId,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (CommerceException e) when (e.Code is PaymentErrorCodes.RequestInProgress or PaymentErrorCodes.PaymentBusy)
        {
            // Another request (a live one, or a retry) is authorizing right now.
            return Move.Stop(ResultOf(saga, isReplay: !live, pendingCode: CheckoutErrorCodes.InProgress));
        }
        catch (CommerceException e)
        {
            // Usually refused before any PSP I/O (no provider for the currency, a bad token), but the payment may have moved
            // on without this request: say the resolver settled an unknown outcome as authorized after the key's record
            // was gone. Act on the payment as stored, never on the assumption that nothing was authorized.
            var payment = await _payments.GetAsync(saga.PaymentId, cancellationToken).ConfigureAwait(false);
            switch (payment)
            {
                case { InFlight: not null } or { Status: PaymentStatus.Unknown }:
                    return await WaitAsync(saga, CheckoutErrorCodes.PaymentPending, cancellationToken).ConfigureAwait(false);
                case { Status: PaymentStatus.Authorized }:
                    return await ConfirmAsync(saga, cancellationToken).ConfigureAwait(false);
                case null or { Status: PaymentStatus.Created or PaymentStatus.Failed or PaymentStatus.Voided }:
                    return await FailAsync(saga, CheckoutErrorCodes.PaymentFailed, e.Error.Message, cancellationToken).ConfigureAwait(false);
                default:
                    // Captured or refunded by someone else: money moved, so compensation goes through the payment's state.
                    return await DecideFailureAsync(saga, CheckoutErrorCodes.PaymentFailed, e.Error.Message, cancellationToken).ConfigureAwait(false);
            }
        }

        await HookAsync("authorized", saga).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case PaymentOutcome.Succeeded:
                return await ConfirmAsync(saga, cancellationToken).ConfigureAwait(false);
            case PaymentOutcome.Declined:
                return await FailAsync(saga, CheckoutErrorCodes.Declined,
                    $"The payment method was declined ({result.FailureCode ?? "declined"}).", cancellationToken).ConfigureAwait(false);
            case PaymentOutcome.Failed:
                return await FailAsync(saga, CheckoutErrorCodes.PaymentFailed,
                    $"No payment provider could process the payment ({result.FailureCode ?? "failed"}).", cancellationToken).ConfigureAwait(false);
            default:
                return await WaitAsync(saga, CheckoutErrorCodes.PaymentPending, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<Move> ConfirmAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        var next = Next(saga, saga.CaptureMode == CaptureMode.Immediate ? CheckoutStep.Paid : CheckoutStep.AwaitingShipment);
        var confirmed = await _store.ConfirmAsync(next, cancellationToken).ConfigureAwait(false);
        switch (confirmed.Status)
        {
            case ConfirmStatus.Confirmed:
                await HookAsync("confirmed", next).ConfigureAwait(false);
                return Move.To(confirmed.Current ?? next);
            case ConfirmStatus.ReservationLost:
                return await DecideFailureAsync(saga, CheckoutErrorCodes.ReservationExpired,
                    "The stock hold ran out before the payment was confirmed; the authorization is voided.", cancellationToken).ConfigureAwait(false);
            case ConfirmStatus.OrderUnavailable:
                return await DecideFailureAsync(saga, CheckoutErrorCodes.OrderUnavailable,
                    "The order was cancelled before it could be paid; the authorization is voided.", cancellationToken).ConfigureAwait(false);
            default:
                return Lost(saga, confirmed.Current);
        }
    }

    private async ValueTask<Move> CaptureAsync(CheckoutSaga saga, bool live, CancellationToken cancellationToken)
    {
        if (!live)
        {
            var payment = await _payments.GetAsync(saga.PaymentId, cancellationToken).ConfigureAwait(false);
            if (payment is { Status: PaymentStatus.Captured })
            {
                return await CompleteAsync(saga, cancellationToken).ConfigureAwait(false);
            }

            if (payment is null or { InFlight: not null } or { Status: not (PaymentStatus.Authorized or PaymentStatus.PartiallyCaptured) })
            {
                return await WaitAsync(saga, null, cancellationToken).ConfigureAwait(false);
            }
        }

        PaymentResult result;
        try
        {
            result = await _payments.CaptureAsync(
                new CapturePaymentRequest(saga.PaymentId, CheckoutSagas.CaptureKey(saga), saga.Total, IsFinal: true), cancellationToken).ConfigureAwait(false);
        }
        catch (CommerceException)
        {
            // Busy, in progress, or refused (say, captured by a concurrent driver): look again later with fresh state.
            return await WaitAsync(saga, null, cancellationToken).ConfigureAwait(false);
        }

        await HookAsync("captured", saga).ConfigureAwait(false);
        return result.Succeeded
            ? await CompleteAsync(saga, cancellationToken).ConfigureAwait(false)
            : await WaitAsync(saga, null, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<Move> CompleteAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        var written = await _store.UpdateAsync(Next(saga, CheckoutStep.Completed), cancellationToken).ConfigureAwait(false);
        return written.IsWritten ? Move.To(written.Current!) : Lost(saga, written.Current);
    }

    /// <summary>Voids the authorization if one is open, then releases the stock and cancels the order.</summary>
    private async ValueTask<Move> CompensateAsync(CheckoutSaga saga, bool live, CancellationToken cancellationToken)
    {
        var payment = await _payments.GetAsync(saga.PaymentId, cancellationToken).ConfigureAwait(false);
        if (payment is { InFlight: not null } or { Status: PaymentStatus.Unknown or PaymentStatus.Created })
        {
            // A PSP call is in flight or its outcome unknown: void only once the payments side has settled it.
            return await WaitAsync(saga, null, cancellationToken).ConfigureAwait(false);
        }

        if (payment is { Status: PaymentStatus.Authorized })
        {
            PaymentResult voided;
            try
            {
                voided = await _payments.VoidAsync(new VoidPaymentRequest(saga.PaymentId, CheckoutSagas.VoidKey(saga)), cancellationToken).ConfigureAwait(false);
            }
            catch (CommerceException)
            {
                return await WaitAsync(saga, null, cancellationToken).ConfigureAwait(false);
            }

            if (!voided.Succeeded)
            {
                return await WaitAsync(saga, null, cancellationToken).ConfigureAwait(false);
            }

            await HookAsync("voided", saga).ConfigureAwait(false);
        }

        return await WriteCompensatedAsync(saga, Next(saga, CheckoutStep.Compensated), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A failure before any authorization succeeded: release and cancel in one group, nothing to void.</summary>
    private async ValueTask<Move> FailAsync(CheckoutSaga saga, string code, string message, CancellationToken cancellationToken)
    {
        var done = Next(saga, CheckoutStep.Compensated) with { FailureCode = code, FailureMessage = message };
        return await WriteCompensatedAsync(saga, done, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases and cancels in one group (the store's compensate), then reopens sold-out SKUs.</summary>
    private async ValueTask<Move> WriteCompensatedAsync(CheckoutSaga saga, CheckoutSaga done, CancellationToken cancellationToken)
    {
        var written = await _store.CompensateAsync(done, cancellationToken).ConfigureAwait(false);
        if (!written.IsWritten)
        {
            return Lost(saga, written.Current);
        }

        Reopen(done);
        await HookAsync("compensated", done).ConfigureAwait(false);
        return Move.To(done);
    }

    /// <summary>A failure after the authorization succeeded: record the decision first, then void and compensate.</summary>
    private async ValueTask<Move> DecideFailureAsync(CheckoutSaga saga, string code, string message, CancellationToken cancellationToken)
    {
        var decided = Next(saga, CheckoutStep.Compensating) with { FailureCode = code, FailureMessage = message };
        var written = await _store.UpdateAsync(decided, cancellationToken).ConfigureAwait(false);
        return written.IsWritten ? Move.To(decided) : Lost(saga, written.Current);
    }

    /// <summary>Parks the saga until the recovery worker looks again after <see cref="CheckoutOptions.PendingRetryDelay"/>.</summary>
    private async ValueTask<Move> WaitAsync(CheckoutSaga saga, string? pendingCode, CancellationToken cancellationToken)
    {
        var parked = Next(saga, saga.Step) with
        {
            FailureCode = pendingCode ?? saga.FailureCode,
            LeaseExpiresAt = ToMicroseconds(Now() + _options.PendingRetryDelay),
        };
        var written = await _store.UpdateAsync(parked, cancellationToken).ConfigureAwait(false);
        return Move.Stop(ResultOf(written.Current ?? parked, isReplay: false));
    }

    /// <summary>After a lost race, continue from what the winner stored (or stop when the saga is gone).</summary>
    private static Move Lost(CheckoutSaga saga, CheckoutSaga? current) =>
        current is null
            ? Move.Stop(ResultOf(saga, isReplay: false, pendingCode: CheckoutErrorCodes.InProgress))
            : Move.To(current);

    private CheckoutSaga Next(CheckoutSaga saga, CheckoutStep step) => saga with
    {
        Step = step,
        Version = saga.Version + 1,
        UpdatedAt = Now(),
        FailureCode = step is CheckoutStep.Compensating or CheckoutStep.Compensated ? saga.FailureCode : null,
        FailureMessage = step is CheckoutStep.Compensating or CheckoutStep.Compensated ? saga.FailureMessage : null,
    };

    private void Reopen(CheckoutSaga saga)
    {
        foreach (var line in saga.Lines)
        {
            _soldOut.Reopen(line.Sku);
        }
    }

    private static SellerShare[] Splits(CheckoutSaga saga)
    {
        var lines = saga.Lines;
        if (lines.Count == 1)
        {
            return [new SellerShare(lines[0].Seller, saga.Total)];
        }

        var shares = CheckoutSagas.SellerShares(saga);
        var splits = new SellerShare[shares.Count];
        for (var i = 0; i < splits.Length; i++)
        {
            splits[i] = new SellerShare(shares[i].Seller, new Money(shares[i].AmountMinor, saga.Currency));
        }

        return splits;
    }

    /// <summary>The buyer's view of a saga.</summary>
    private static CheckoutResult ResultOf(CheckoutSaga saga, bool isReplay, string? pendingCode = null)
    {
        var (status, error) = saga.Step switch
        {
            CheckoutStep.Paid or CheckoutStep.AwaitingShipment or CheckoutStep.Completed => (CheckoutStatus.Completed, null),
            CheckoutStep.Compensating or CheckoutStep.Compensated => (CheckoutStatus.Failed,
                new CommerceError(saga.FailureCode ?? CheckoutErrorCodes.PaymentFailed, saga.FailureMessage ?? "The checkout failed and was compensated.")),
            _ => (CheckoutStatus.Pending, PendingError(pendingCode ?? saga.FailureCode)),
        };
        return new CheckoutResult(status, error)
        {
            CheckoutId = saga.Id,
            OrderId = saga.OrderId,
            PaymentId = saga.PaymentId,
            Total = saga.Total,
            Step = saga.Step,
            IsReplay = isReplay,
        };
    }

    private static CommerceError PendingError(string? code) => code == CheckoutErrorCodes.PaymentPending
        ? new CommerceError(CheckoutErrorCodes.PaymentPending, "The payment's outcome is not known yet; the checkout finishes once the payment provider answers.")
        : new CommerceError(CheckoutErrorCodes.InProgress, "The checkout is still being processed; ask again with the same key.");

    /// <summary>Where a step left the saga: a new state to continue from, or a result to stop with.</summary>
    private readonly record struct Move(CheckoutSaga? Saga, CheckoutResult? Result)
    {
        public static Move To(CheckoutSaga saga) => new(saga, null);

        public static Move Stop(CheckoutResult result) => new(null, result);
    }
}
