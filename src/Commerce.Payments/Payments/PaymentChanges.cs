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
        var next = payment with { Attempts = payment.Attempts.SetItem(number - 1, settledAttempt), Version = payment.Version + 1, UpdatedAt = now };
        if (status == AttemptStatus.Succeeded)
        {
            switch (attempt.Operation)
            {
                case PaymentOperation.Authorize:
                    next = next with { AuthorizedMinor = attempt.AmountMinor };
                    break;
                case PaymentOperation.Capture:
                    next = next with { CapturedMinor = checked(payment.CapturedMinor + attempt.AmountMinor), CaptureClosed = payment.CaptureClosed || attempt.IsFinal };
                    journal = [LedgerBook.Capture(next, settledAttempt, payment.CapturedMinor, next.CapturedMinor, now)];
                    break;
                case PaymentOperation.Refund:
                    next = next with { RefundedMinor = checked(payment.RefundedMinor + attempt.AmountMinor) };
                    journal = [LedgerBook.Refund(next, settledAttempt, payment.RefundedMinor, next.RefundedMinor, now)];
                    break;
            }
        }

        next = next with { Status = Derive(next) };
        PaymentTransitions.EnsureAllowed(payment.Status, next.Status);
        return next;
    }

    /// <summary>Records that the resolver asked and learnt nothing: the attempt counts as unknown and waits longer.</summary>
    public static Payment Postpone(Payment payment, int number, DateTimeOffset now)
    {
        var attempt = payment.Attempts[number - 1];
        var postponed = attempt with { Status = AttemptStatus.Unknown, ResolveTries = attempt.ResolveTries + 1, UpdatedAt = now };
        var next = payment with { Attempts = payment.Attempts.SetItem(number - 1, postponed), Version = payment.Version + 1, UpdatedAt = now };
        next = next with { Status = Derive(next) };
        PaymentTransitions.EnsureAllowed(payment.Status, next.Status);
        return next;
    }

    /// <summary>The status implied by the amounts and the attempts.</summary>
    public static PaymentStatus Derive(Payment payment)
    {
        var voided = false;
        var authorizing = false;
        var authorizeAttempts = 0;
        foreach (var attempt in payment.Attempts)
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

        if (payment.AuthorizedMinor == 0)
        {
            return authorizing || authorizeAttempts == 0 ? PaymentStatus.Created : PaymentStatus.Failed;
        }

        if (payment.RefundedMinor > 0)
        {
            return payment.RefundedMinor == payment.CapturedMinor ? PaymentStatus.Refunded : PaymentStatus.PartiallyRefunded;
        }

        if (payment.CapturedMinor > 0)
        {
            return payment.CapturedMinor == payment.AuthorizedMinor || payment.CaptureClosed ? PaymentStatus.Captured : PaymentStatus.PartiallyCaptured;
        }

        return PaymentStatus.Authorized;
    }
}
