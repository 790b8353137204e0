using System.Text;

namespace Commerce.Payments.Reconciliation;

/// <summary>A capture or refund line of the report, as spans over the reader's buffer: valid only during the callback.</summary>
internal readonly ref struct ReportLine
{
    public ReportLine(long lineNumber, ReadOnlySpan<byte> pspReference, ReadOnlySpan<byte> operationReference, SettlementKind kind, long amountMinor, Currency currency, ReadOnlySpan<byte> date)
    {
        LineNumber = lineNumber;
        PspReference = pspReference;
        OperationReference = operationReference;
        Kind = kind;
        AmountMinor = amountMinor;
        Currency = currency;
        Date = date;
    }

    public long LineNumber { get; }

    public ReadOnlySpan<byte> PspReference { get; }

    /// <summary>Empty when the format has no operation reference column or the field is blank.</summary>
    public ReadOnlySpan<byte> OperationReference { get; }

    public SettlementKind Kind { get; }

    public long AmountMinor { get; }

    public Currency Currency { get; }

    /// <summary>Empty when the format maps no date column.</summary>
    public ReadOnlySpan<byte> Date { get; }

    /// <summary>Copies the line out of the buffer, for a discrepancy.</summary>
    public ReportedOperation Materialize() => new(
        LineNumber,
        Encoding.UTF8.GetString(PspReference),
        OperationReference.IsEmpty ? null : Encoding.UTF8.GetString(OperationReference),
        Kind,
        new Money(AmountMinor, Currency),
        Date.IsEmpty ? null : Encoding.UTF8.GetString(Date));
}

/// <summary>Receives the capture and refund lines of a report, in order.</summary>
internal interface IReportLineHandler
{
    void OnOperation(in ReportLine line);
}
