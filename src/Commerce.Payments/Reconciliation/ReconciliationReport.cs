namespace Commerce.Payments.Reconciliation;

/// <summary>The totals of the operations that matched exactly, in one currency.</summary>
/// <param name="Currency">The currency.</param>
/// <param name="Captures">How many captures matched.</param>
/// <param name="Captured">Their total.</param>
/// <param name="Refunds">How many refunds matched.</param>
/// <param name="Refunded">Their total.</param>
public readonly record struct MatchedTotal(Currency Currency, long Captures, Money Captured, long Refunds, Money Refunded);

/// <summary>
/// The outcome of reconciling a settlement report against our operations: exact counts, matched totals per currency,
/// and the discrepancies of each kind (kept up to <see cref="ReconciliationOptions.MaxDiscrepanciesPerKind"/> each,
/// in the order found; the counts are exact either way).
/// </summary>
public sealed class ReconciliationReport
{
    private readonly long[] _counts;
    private readonly IReadOnlyList<ReconciliationDiscrepancy>[] _discrepancies;

    internal ReconciliationReport(
        long ourOperations,
        long reportRecords,
        long skippedRecords,
        long matched,
        long[] counts,
        IReadOnlyList<ReconciliationDiscrepancy>[] discrepancies,
        IReadOnlyList<MatchedTotal> matchedTotals)
    {
        OurOperations = ourOperations;
        ReportRecords = reportRecords;
        SkippedRecords = skippedRecords;
        Matched = matched;
        _counts = counts;
        _discrepancies = discrepancies;
        MatchedTotals = matchedTotals;
    }

    /// <summary>How many of our operations were read.</summary>
    public long OurOperations { get; }

    /// <summary>How many data records the report held (header and blank lines excluded).</summary>
    public long ReportRecords { get; }

    /// <summary>How many report records were neither captures nor refunds (fees, payouts, ...) and were skipped.</summary>
    public long SkippedRecords { get; }

    /// <summary>How many report lines matched one of our operations exactly (kind, amount and currency).</summary>
    public long Matched { get; }

    /// <summary>The totals of the exactly matched operations, per currency, ordered by currency code.</summary>
    public IReadOnlyList<MatchedTotal> MatchedTotals { get; }

    /// <summary>Whether both sides agree completely: no discrepancy of any kind.</summary>
    public bool IsBalanced => _counts.All(static c => c == 0);

    /// <summary>The exact number of discrepancies of a kind.</summary>
    public long Count(DiscrepancyKind kind) => _counts[Index(kind)];

    /// <summary>The discrepancies of a kind that were kept, in the order found; fewer than <see cref="Count"/> when capped.</summary>
    public IReadOnlyList<ReconciliationDiscrepancy> Discrepancies(DiscrepancyKind kind) => _discrepancies[Index(kind)];

    private static int Index(DiscrepancyKind kind) =>
        (uint)kind < (uint)DiscrepancyKinds.Count ? (int)kind : throw new ArgumentOutOfRangeException(nameof(kind));
}

internal static class DiscrepancyKinds
{
    public const int Count = (int)DiscrepancyKind.DuplicateOnOurSide + 1;
}
