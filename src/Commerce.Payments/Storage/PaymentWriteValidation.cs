namespace Commerce.Payments.Storage;

/// <summary>
/// The invariants every store checks before it writes, whatever the caller computed: a store never holds a payment
/// that captured more than it authorized, refunded more than it captured, or booked an unbalanced entry.
/// </summary>
public static class PaymentWriteValidation
{
    /// <summary>Throws when the write would break an invariant.</summary>
    /// <exception cref="InvalidOperationException">An invariant would be broken: a bug in the caller, never bad input.</exception>
    public static void Validate(PaymentWrite write)
    {
        var payment = write.Payment ?? throw new ArgumentException("A payment write needs the payment.", nameof(write));
        if (payment.Version != write.ExpectedVersion + 1)
        {
            throw new InvalidOperationException($"Payment {payment.Id} is written as version {payment.Version} over version {write.ExpectedVersion}.");
        }

        if (payment.AuthorizedMinor < 0 || payment.CapturedMinor < 0 || payment.RefundedMinor < 0
            || payment.CapturedMinor > payment.AuthorizedMinor || payment.RefundedMinor > payment.CapturedMinor
            || payment.AuthorizedMinor > payment.Amount.MinorUnits)
        {
            throw new InvalidOperationException(
                $"Payment {payment.Id} would hold authorized {payment.AuthorizedMinor}, captured {payment.CapturedMinor}, refunded {payment.RefundedMinor} of {payment.Amount}.");
        }

        var journal = write.Journal;
        for (var i = 0; i < journal.Count; i++)
        {
            var entry = journal[i];
            if (!entry.IsBalanced || entry.Currency != payment.Amount.Currency)
            {
                throw new InvalidOperationException($"Journal entry {entry.Kind} of payment {payment.Id} does not balance in {payment.Amount.Currency.Code}.");
            }
        }
    }
}
