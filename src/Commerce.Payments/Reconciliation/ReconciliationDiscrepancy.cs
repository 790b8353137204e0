namespace Commerce.Payments.Reconciliation;

/// <summary>What disagrees between our records and the PSP's settlement report.</summary>
public enum DiscrepancyKind
{
    /// <summary>The report settles an operation we have no record of.</summary>
    MissingOnOurSide,

    /// <summary>We recorded an operation the report does not settle.</summary>
    MissingAtPsp,

    /// <summary>Both sides have the operation, in the same currency, with different amounts.</summary>
    AmountMismatch,

    /// <summary>Both sides have the operation, in different currencies.</summary>
    CurrencyMismatch,

    /// <summary>The report settles the same operation more than once.</summary>
    DuplicateInReport,

    /// <summary>We recorded the same operation reference more than once.</summary>
    DuplicateOnOurSide,
}

/// <summary>A capture or refund line of the settlement report, as read (materialized only for discrepancies).</summary>
/// <param name="LineNumber">The 1-based line of the file where the record starts (the header is line 1).</param>
/// <param name="PspReference">The payment's PSP reference; empty when the report left it blank.</param>
/// <param name="OperationReference">The operation's PSP reference, when the report has that column and a value.</param>
/// <param name="Kind">Capture or refund.</param>
/// <param name="Amount">The settled amount (refunds made positive when the format says they are negative).</param>
/// <param name="Date">The date column's text as written in the report, when mapped; it is not parsed.</param>
public sealed record ReportedOperation(long LineNumber, string PspReference, string? OperationReference, SettlementKind Kind, Money Amount, string? Date);

/// <summary>One disagreement between our records and the settlement report.</summary>
/// <param name="Kind">What disagrees.</param>
/// <param name="Ours">Our operation; null for <see cref="DiscrepancyKind.MissingOnOurSide"/> and <see cref="DiscrepancyKind.DuplicateInReport"/>.</param>
/// <param name="Reported">The report's line; null for <see cref="DiscrepancyKind.MissingAtPsp"/> and <see cref="DiscrepancyKind.DuplicateOnOurSide"/>.</param>
public sealed record ReconciliationDiscrepancy(DiscrepancyKind Kind, SettledOperation? Ours, ReportedOperation? Reported);
