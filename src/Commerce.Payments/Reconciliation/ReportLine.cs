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

/// <summary>
/// Capture and refund lines parsed from one stretch of the report buffer, in report order: valid only during the
/// callback. Handing lines over in batches lets the handler start the memory loads of every line's lookup before it
/// needs the first, so their cache misses overlap instead of adding up.
/// </summary>
internal readonly ref struct ReportLineBatch
{
    private readonly ReadOnlySpan<PendingLine> _lines;
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly ReadOnlySpan<byte> _unescaped;

    public ReportLineBatch(ReadOnlySpan<PendingLine> lines, ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> unescaped)
    {
        _lines = lines;
        _buffer = buffer;
        _unescaped = unescaped;
    }

    public int Count => _lines.Length;

    public ReportLine this[int index]
    {
        get
        {
            ref readonly var line = ref _lines[index];
            return new ReportLine(line.LineNumber, Text(line.PspReference), Text(line.OperationReference), line.Kind, line.AmountMinor, line.Currency, Text(line.Date));
        }
    }

    private ReadOnlySpan<byte> Text(TextRange range) =>
        (range.Unescaped ? _unescaped : _buffer).Slice(range.Start, range.Length);
}

/// <summary>A parsed line waiting in a batch, its text fields located in the reader's buffers.</summary>
internal readonly record struct PendingLine(
    long LineNumber, TextRange PspReference, TextRange OperationReference, SettlementKind Kind, long AmountMinor, Currency Currency, TextRange Date);

/// <summary>Where a field's bytes lie: in the buffer the record was parsed from, or (doubled quotes undone) in the unescape buffer.</summary>
internal readonly record struct TextRange(int Start, int Length, bool Unescaped);

/// <summary>Receives the capture and refund lines of a report, in order.</summary>
internal interface IReportLineHandler
{
    void OnOperations(in ReportLineBatch lines);
}
