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
        var shares = Shares(payment).AsSpan();
        var builder = ImmutableArray.CreateBuilder<JournalLine>(shares.Length * 2 + 1);
        builder.Add(new JournalLine(LedgerAccounts.PspClearing(payment.Authorization?.Provider ?? attempt.Provider), capturedAfter - capturedBefore, 0));
        Span<long> before = shares.Length <= StackShares ? stackalloc long[shares.Length] : new long[shares.Length];
        Span<long> after = shares.Length <= StackShares ? stackalloc long[shares.Length] : new long[shares.Length];
        Allocate(capturedBefore, shares, payment.Amount.MinorUnits, before);
        Allocate(capturedAfter, shares, payment.Amount.MinorUnits, after);
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
        var shares = Shares(payment).AsSpan();
        var captured = new long[shares.Length];
        Allocate(payment.CapturedMinor, shares, payment.Amount.MinorUnits, captured);
        var capturedCommission = new long[shares.Length];
        var weights = new PaymentSplit[shares.Length];
        for (var i = 0; i < shares.Length; i++)
        {
            capturedCommission[i] = Commission(captured[i], shares[i].CommissionBasisPoints);
            weights[i] = shares[i] with { AmountMinor = captured[i] };
        }

        var before = new long[shares.Length];
        var after = new long[shares.Length];
        Allocate(refundedBefore, weights, payment.CapturedMinor, before);
        Allocate(refundedAfter, weights, payment.CapturedMinor, after);
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

    // Shares up to this many are allocated on the stack; a payment rarely has more sellers.
    private const int StackShares = 16;

    /// <summary>
    /// Splits <paramref name="total"/> in proportion to the weights (summing to <paramref name="weightTotal"/>) by
    /// largest remainder, into <paramref name="result"/> (one per weight).
    /// </summary>
    internal static void Allocate(long total, ReadOnlySpan<PaymentSplit> weights, long weightTotal, Span<long> result)
    {
        result.Clear();
        if (weightTotal == 0 || total == 0)
        {
            return;
        }

        Span<(Int128 Remainder, int Index)> remainders = weights.Length <= StackShares
            ? stackalloc (Int128, int)[weights.Length]
            : new (Int128, int)[weights.Length];
        long allocated = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            var exact = (Int128)total * weights[i].AmountMinor;
            result[i] = (long)(exact / weightTotal);
            remainders[i] = (exact % weightTotal, i);
            allocated += result[i];
        }

        remainders.Sort(static (a, b) => b.Remainder != a.Remainder ? b.Remainder.CompareTo(a.Remainder) : a.Index.CompareTo(b.Index));
        for (var i = 0; allocated < total; i++)
        {
            result[remainders[i].Index]++;
            allocated++;
        }
    }
}
