namespace Commerce.Payments.Reconciliation;

/// <summary>How the report writes amounts.</summary>
public enum ReportAmountFormat
{
    /// <summary>An integer count of minor units: <c>1234</c> is 12.34 USD, 1234 JPY, 1.234 KWD.</summary>
    MinorUnits,

    /// <summary>
    /// A decimal in major units: <c>12.34</c> is 12.34 USD. Parsed exactly (no floating point): more fractional digits
    /// than the currency's exponent are rejected unless they are zeros.
    /// </summary>
    MajorUnits,
}

/// <summary>
/// Maps a settlement report's CSV columns onto what reconciliation needs. Column names are matched against the header
/// row case-insensitively, ignoring surrounding spaces. Lines whose type is neither a capture nor a refund value (fees,
/// payouts, chargebacks) are counted and skipped without further parsing. <see cref="Stripe"/> and <see cref="Adyen"/>
/// are presets.
/// </summary>
public sealed class SettlementReportFormat
{
    /// <summary>The column holding the PSP's reference of the payment.</summary>
    public required string PspReferenceColumn { get; init; }

    /// <summary>
    /// The column holding the PSP's reference of the capture or refund itself, if the report has one. When set, report
    /// lines are matched to our operations by this reference; otherwise by payment, kind and amount.
    /// </summary>
    public string? OperationReferenceColumn { get; init; }

    /// <summary>The column holding the line's type.</summary>
    public required string TypeColumn { get; init; }

    /// <summary>The type values that mean a capture (compared case-insensitively).</summary>
    public required IReadOnlyList<string> CaptureTypes { get; init; }

    /// <summary>The type values that mean a refund (compared case-insensitively).</summary>
    public required IReadOnlyList<string> RefundTypes { get; init; }

    /// <summary>The column holding the amount (of captures, and of refunds unless <see cref="RefundAmountColumn"/> is set).</summary>
    public required string AmountColumn { get; init; }

    /// <summary>The column holding refund amounts, for reports that put credits and debits in separate columns.</summary>
    public string? RefundAmountColumn { get; init; }

    /// <summary>How amounts are written. Default <see cref="ReportAmountFormat.MinorUnits"/>.</summary>
    public ReportAmountFormat AmountFormat { get; init; } = ReportAmountFormat.MinorUnits;

    /// <summary>The decimal separator of <see cref="ReportAmountFormat.MajorUnits"/> amounts. Default '.'.</summary>
    public char DecimalSeparator { get; init; } = '.';

    /// <summary>
    /// Whether the report writes refunds as negative amounts (a balance view); they are negated before comparison with
    /// our positive refund amounts. Default false.
    /// </summary>
    public bool RefundAmountsAreNegative { get; init; }

    /// <summary>The column holding the ISO 4217 currency code (any case).</summary>
    public required string CurrencyColumn { get; init; }

    /// <summary>A date column to carry into discrepancies as text, if wanted; it is not parsed.</summary>
    public string? DateColumn { get; init; }

    /// <summary>The field delimiter, an ASCII character other than a quote, CR or LF. Default ','.</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>
    /// Stripe's itemized balance report (<c>balance_change_from_activity.itemized</c>, the Balance report's CSV):
    /// <c>payment_intent_id</c>, <c>source_id</c> (the charge id of a capture, the refund id of a refund),
    /// <c>reporting_category</c> (<c>charge</c>, <c>refund</c>), <c>gross</c> in major units with refunds negative,
    /// <c>currency</c> (lower case) and <c>created_utc</c>. Our operations' references must be the payment intent id
    /// and the charge or refund id.
    /// </summary>
    public static SettlementReportFormat Stripe => new()
    {
        PspReferenceColumn = "payment_intent_id",
        OperationReferenceColumn = "source_id",
        TypeColumn = "reporting_category",
        CaptureTypes = ["charge"],
        RefundTypes = ["refund"],
        AmountColumn = "gross",
        AmountFormat = ReportAmountFormat.MajorUnits,
        RefundAmountsAreNegative = true,
        CurrencyColumn = "currency",
        DateColumn = "created_utc",
    };

    /// <summary>
    /// Adyen's Settlement details report: <c>Psp Reference</c> (the payment), <c>Modification Reference</c> (the capture
    /// or refund), <c>Type</c> (<c>Settled</c>, <c>Refunded</c>), <c>Gross Credit (GC)</c> for captures and
    /// <c>Gross Debit (GC)</c> for refunds, both positive and in major units, <c>Gross Currency</c> and
    /// <c>Creation Date</c>. Fee, payout and correction lines are skipped.
    /// </summary>
    public static SettlementReportFormat Adyen => new()
    {
        PspReferenceColumn = "Psp Reference",
        OperationReferenceColumn = "Modification Reference",
        TypeColumn = "Type",
        CaptureTypes = ["Settled"],
        RefundTypes = ["Refunded"],
        AmountColumn = "Gross Credit (GC)",
        RefundAmountColumn = "Gross Debit (GC)",
        AmountFormat = ReportAmountFormat.MajorUnits,
        CurrencyColumn = "Gross Currency",
        DateColumn = "Creation Date",
    };
}
