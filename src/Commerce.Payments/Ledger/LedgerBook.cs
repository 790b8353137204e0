using System.Collections.Immutable;

namespace Commerce.Payments.Ledger;

/// <summary>
/// Books captures and refunds. Shares are computed on running totals (largest remainder, then commission rounded
/// down), and each entry books the difference between the totals after and before it, so any sequence of partial
/// captures adds up exactly to the split, and a full refund reverses exactly what the captures credited.
/// </summary>
internal static class LedgerBook
{
    public static JournalEntry Capture(Payment payment, PaymentAttempt attempt, long capturedBefore, long capturedAfter, DateTimeOffset at)
    {
        var shares = Shares(payment);
        var builder = ImmutableArray.CreateBuilder<JournalLine>(shares.Length * 2 + 1);
        builder.Add(new JournalLine(LedgerAccounts.PspClearing(payment.Authorization?.Provider ?? attempt.Provider), capturedAfter - capturedBefore, 0));
        var before = Allocate(capturedBefore, shares, payment.Amount.MinorUnits);
        var after = Allocate(capturedAfter, shares, payment.Amount.MinorUnits);
        long commission = 0;
        for (var i = 0; i < shares.Length; i++)
        {
            var share = after[i] - before[i];
            var fee = Commission(after[i], shares[i].CommissionBasisPoints) - Commission(before[i], shares[i].CommissionBasisPoints);
            commission += fee;
            if (share - fee != 0)
            {
                builder.Add(new JournalLine(Account(shares[i]), 0, share - fee));
            }
        }

        if (commission != 0)
        {
            builder.Add(new JournalLine(LedgerAccounts.PlatformCommission, 0, commission));
        }

        return Entry(payment, attempt, "capture", builder.ToImmutable(), at);
    }

    public static JournalEntry Refund(Payment payment, PaymentAttempt attempt, long refundedBefore, long refundedAfter, DateTimeOffset at)
    {
        var shares = Shares(payment);
        var captured = Allocate(payment.CapturedMinor, shares, payment.Amount.MinorUnits);
        var capturedCommission = new long[shares.Length];
        var weights = new PaymentSplit[shares.Length];
        for (var i = 0; i < shares.Length; i++)
        {
            capturedCommission[i] = Commission(captured[i], shares[i].CommissionBasisPoints);
            weights[i] = shares[i] with { AmountMinor = captured[i] };
        }

        var before = Allocate(refundedBefore, weights, payment.CapturedMinor);
        var after = Allocate(refundedAfter, weights, payment.CapturedMinor);
        var builder = ImmutableArray.CreateBuilder<JournalLine>(shares.Length * 2 + 1);
        long commission = 0;
        for (var i = 0; i < shares.Length; i++)
        {
            var share = after[i] - before[i];
            var fee = Reversed(after[i], captured[i], capturedCommission[i]) - Reversed(before[i], captured[i], capturedCommission[i]);
            commission += fee;
            if (share - fee != 0)
            {
                builder.Add(new JournalLine(Account(shares[i]), share - fee, 0));
            }
        }

        if (commission != 0)
        {
            builder.Add(new JournalLine(LedgerAccounts.PlatformCommission, commission, 0));
        }

        builder.Add(new JournalLine(LedgerAccounts.PspClearing(payment.Authorization?.Provider ?? attempt.Provider), 0, refundedAfter - refundedBefore));
        return Entry(payment, attempt, "refund", builder.ToImmutable(), at);
    }

    private static JournalEntry Entry(Payment payment, PaymentAttempt attempt, string kind, ImmutableArray<JournalLine> lines, DateTimeOffset at) => new()
    {
        PaymentId = payment.Id,
        AttemptNumber = attempt.Number,
        Kind = kind,
        Currency = payment.Amount.Currency,
        Lines = lines,
        BookedAt = at,
    };

    private static ImmutableArray<PaymentSplit> Shares(Payment payment) =>
        payment.Splits.IsDefaultOrEmpty ? [new PaymentSplit(default, payment.Amount.MinorUnits, 0)] : payment.Splits;

    private static string Account(PaymentSplit split) =>
        split.SellerId.IsEmpty ? LedgerAccounts.PlatformSales : LedgerAccounts.SellerPayable(split.SellerId);

    private static long Commission(long amount, int basisPoints) => (long)((Int128)amount * basisPoints / 10_000);

    private static long Reversed(long refunded, long captured, long commission) =>
        captured == 0 ? 0 : (long)((Int128)refunded * commission / captured);

    /// <summary>Splits <paramref name="total"/> in proportion to the weights (summing to <paramref name="weightTotal"/>) by largest remainder.</summary>
    internal static long[] Allocate(long total, IReadOnlyList<PaymentSplit> weights, long weightTotal)
    {
        var result = new long[weights.Count];
        if (weightTotal == 0 || total == 0)
        {
            return result;
        }

        var remainders = new (Int128 Remainder, int Index)[weights.Count];
        long allocated = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            var exact = (Int128)total * weights[i].AmountMinor;
            result[i] = (long)(exact / weightTotal);
            remainders[i] = (exact % weightTotal, i);
            allocated += result[i];
        }

        Array.Sort(remainders, static (a, b) => b.Remainder != a.Remainder ? b.Remainder.CompareTo(a.Remainder) : a.Index.CompareTo(b.Index));
        for (var i = 0; allocated < total; i++)
        {
            result[remainders[i].Index]++;
            allocated++;
        }

        return result;
    }
}
