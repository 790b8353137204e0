using System.Collections.Immutable;
using Commerce.Payments.Ledger;
using Commerce.Payments.Providers;

namespace Commerce.Payments;

/// <summary>
/// The pure functions that move a payment: settle an attempt with a PSP's answer, and derive the status from the
/// amounts and attempts. API calls, webhooks and the resolver all go through them, so they agree by construction.
/// </summary>
internal static class PaymentChanges
{
    /// <summary>Settles attempt <paramref name="number"/> with <paramref name="result"/>; returns the next version and the journal entries it books.</summary>
    public static Payment Apply(Payment payment, int number, ProviderResult result, DateTimeOffset now, out IReadOnlyList<JournalEntry> journal)
    {
        journal = [];
        var attempt = payment.Attempts[number - 1];
        if (attempt.Status is not (AttemptStatus.Pending or AttemptStatus.Unknown))
        {
            throw new InvalidOperationException($"Attempt {number} of payment {payment.Id} is settled already ({attempt.Status}).");
        }

        var status = result.Outcome switch
        {
            ProviderOutcome.Succeeded => AttemptStatus.Succeeded,
            ProviderOutcome.Declined => AttemptStatus.Declined,
            ProviderOutcome.NotProcessed => AttemptStatus.Failed,
            _ => AttemptStatus.Unknown,
        };
        var settledAttempt = attempt with
        {
            Status = status,
            PspReference = result.PspReference ?? attempt.PspReference,
            FailureCode = status == AttemptStatus.Succeeded ? null : result.FailureCode,
            FailureMessage = status == AttemptStatus.Succeeded ? null : result.FailureMessage,
            UpdatedAt = now,
        };
        var attempts = payment.Attempts.SetItem(number - 1, settledAttempt);
        long authorized = payment.AuthorizedMinor, captured = payment.CapturedMinor, refunded = payment.RefundedMinor;
        var closed = payment.CaptureClosed;
        if (status == AttemptStatus.Succeeded)
        {
            switch (attempt.Operation)
            {
                case PaymentOperation.Authorize:
                    authorized = attempt.AmountMinor;
                    break;
                case PaymentOperation.Capture:
                    captured = checked(captured + attempt.AmountMinor);
                    closed |= attempt.IsFinal;
                    break;
                case PaymentOperation.Refund:
                    refunded = checked(refunded + attempt.AmountMinor);
                    break;
            }
        }

        // One new instance per change: the status is derived from the new figures before the record is built.
        var next = payment with
        {
            Attempts = attempts,
            AuthorizedMinor = authorized,
            CapturedMinor = captured,
            RefundedMinor = refunded,
            CaptureClosed = closed,
            Status = Derive(attempts, authorized, captured, refunded, closed),
            Version = payment.Version + 1,
            UpdatedAt = now,
        };
        if (status == AttemptStatus.Succeeded && attempt.Operation == PaymentOperation.Capture)
        {
            journal = [LedgerBook.Capture(next, settledAttempt, payment.CapturedMinor, next.CapturedMinor, now)];
        }
        else if (status == AttemptStatus.Succeeded && attempt.Operation == PaymentOperation.Refund)
        {
            journal = [LedgerBook.Refund(next, settledAttempt, payment.RefundedMinor, next.RefundedMinor, now)];
        }

        PaymentTransitions.EnsureAllowed(payment.Status, next.Status);
        return next;
    }

    /// <summary>
    /// Records that a request is about to send an attempt again: pending, changed now. The version bump makes any
    /// conclusion drawn meanwhile from an older version (the resolver's "not found") fail its write, and the fresh
    /// time keeps the resolver away while the send is in flight.
    /// </summary>
    public static Payment MarkSending(Payment payment, int number, DateTimeOffset now)
    {
        var attempt = payment.Attempts[number - 1];
        var sending = attempt with { Status = AttemptStatus.Pending, UpdatedAt = now };
        var next = payment with { Attempts = payment.Attempts.SetItem(number - 1, sending), Version = payment.Version + 1, UpdatedAt = now };
        next = next with { Status = Derive(next) };
        PaymentTransitions.EnsureAllowed(payment.Status, next.Status);
        return next;
    }

    /// <summary>
    /// Records that the resolver tried and learnt nothing: the attempt waits longer. Its status stays: a pending attempt
    /// may still be sent by its own request (see <see cref="PaymentService.ResolveAsync"/>), so it must not pass for
    /// one whose sends are over.
    /// </summary>
    public static Payment Postpone(Payment payment, int number, DateTimeOffset now)
    {
        var attempt = payment.Attempts[number - 1];
        var postponed = attempt with { ResolveTries = attempt.ResolveTries + 1, UpdatedAt = now };
        var next = payment with { Attempts = payment.Attempts.SetItem(number - 1, postponed), Version = payment.Version + 1, UpdatedAt = now };
        next = next with { Status = Derive(next) };
        PaymentTransitions.EnsureAllowed(payment.Status, next.Status);
        return next;
    }

    /// <summary>The status implied by the amounts and the attempts.</summary>
    public static PaymentStatus Derive(Payment payment) =>
        Derive(payment.Attempts, payment.AuthorizedMinor, payment.CapturedMinor, payment.RefundedMinor, payment.CaptureClosed);

    private static PaymentStatus Derive(ImmutableArray<PaymentAttempt> attempts, long authorized, long captured, long refunded, bool closed)
    {
        var voided = false;
        var authorizing = false;
        var authorizeAttempts = 0;
        foreach (var attempt in attempts)
        {
            if (attempt.Status == AttemptStatus.Unknown)
            {
                return PaymentStatus.Unknown;
            }

            if (attempt.Operation == PaymentOperation.Void && attempt.Status == AttemptStatus.Succeeded)
            {
                voided = true;
            }

            if (attempt.Operation == PaymentOperation.Authorize)
            {
                authorizeAttempts++;
                authorizing |= attempt.Status == AttemptStatus.Pending;
            }
        }

        if (voided)
        {
            return PaymentStatus.Voided;
        }

        if (authorized == 0)
        {
            return authorizing || authorizeAttempts == 0 ? PaymentStatus.Created : PaymentStatus.Failed;
        }

        if (refunded > 0)
        {
            return refunded == captured ? PaymentStatus.Refunded : PaymentStatus.PartiallyRefunded;
        }

        if (captured > 0)
        {
            return captured == authorized || closed ? PaymentStatus.Captured : PaymentStatus.PartiallyCaptured;
        }

        return PaymentStatus.Authorized;
    }
}
