using System.ComponentModel.DataAnnotations;

namespace Commerce.Payments.Reconciliation;

/// <summary>Limits of one reconciliation run.</summary>
public sealed class ReconciliationOptions
{
    /// <summary>
    /// How many discrepancies of each kind <see cref="ReconciliationReport"/> keeps; counts are always exact. Default
    /// 1,000. The streaming API is not capped.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int MaxDiscrepanciesPerKind { get; init; } = 1_000;

    /// <summary>
    /// The longest accepted record, in bytes, line terminator excluded (a quoted field may span lines; the whole record
    /// counts). A longer record is rejected with <c>payments.report_malformed</c>. Default 64 KiB.
    /// </summary>
    [Range(16, 16 * 1024 * 1024)]
    public int MaxLineLength { get; init; } = 64 * 1024;
}
