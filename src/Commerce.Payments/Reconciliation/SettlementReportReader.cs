using System.Buffers;
using System.IO.Pipelines;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text;

namespace Commerce.Payments.Reconciliation;

/// <summary>
/// Streams an RFC 4180 CSV settlement report from a <see cref="PipeReader"/>: UTF-8 with an optional BOM, LF or CRLF
/// line ends, quoted fields with doubled quotes (which may span lines). Records are split in place in the pipe's
/// buffer; a record that straddles two buffer segments is copied once into a scratch array. Only the mapped fields are
/// decoded, and only capture and refund lines reach the handler, in batches of up to <see cref="BatchSize"/> lines of
/// one buffer segment (see <see cref="ReportLineBatch"/>); nothing is allocated per line.
/// </summary>
internal sealed class SettlementReportReader
{
    private const byte Lf = (byte)'\n';
    private const byte Cr = (byte)'\r';
    private const byte Quote = (byte)'"';

    /// <summary>Enough lines for the matcher to overlap their lookups' cache misses (16 measured a little slower; 64 and 128 no faster).</summary>
    private const int BatchSize = 32;

    private readonly PipeReader _reader;
    private readonly SettlementReportFormat _format;
    private readonly int _maxLineLength;
    private readonly byte _delimiter;
    private readonly byte _decimalSeparator;
    private readonly byte[][] _captureTypes;
    private readonly byte[][] _refundTypes;
    private readonly CurrencyCache _currencies = new();
    private readonly PendingLine[] _batch = new PendingLine[BatchSize];
    private int _batched;
    private FieldRange[] _fields = new FieldRange[16];
    private byte[] _scratch = [];
    private byte[] _unescaped = [];
    private int _unescapedUsed;
    private long _line = 1;
    private bool _bomChecked;
    private bool _finished;
    private Columns _columns;

    public SettlementReportReader(PipeReader reader, SettlementReportFormat format, int maxLineLength)
    {
        _reader = reader;
        _format = format;
        _maxLineLength = maxLineLength;
        _delimiter = (byte)format.Delimiter;
        _decimalSeparator = (byte)format.DecimalSeparator;
        _captureTypes = [.. format.CaptureTypes.Select(static t => Encoding.UTF8.GetBytes(t.Trim()))];
        _refundTypes = [.. format.RefundTypes.Select(static t => Encoding.UTF8.GetBytes(t.Trim()))];
    }

    /// <summary>Data records read (header and blank lines excluded).</summary>
    public long Records { get; private set; }

    /// <summary>Data records that were neither captures nor refunds.</summary>
    public long Skipped { get; private set; }

    /// <summary>
    /// Reads what the pipe has and hands every complete capture or refund line to <paramref name="handler"/>. Returns
    /// false once the whole report has been read.
    /// </summary>
    /// <exception cref="CommerceValidationException">The report is malformed (<c>payments.report_malformed</c>).</exception>
    public async ValueTask<bool> ReadAsync(IReportLineHandler handler, CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return false;
        }

        var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The report's pipe reader was cancelled.");
        }

        var buffer = result.Buffer;
        Process(ref buffer, result.IsCompleted, handler);
        _reader.AdvanceTo(buffer.Start, buffer.End);
        if (result.IsCompleted)
        {
            _finished = true;
            if (_columns.Count == 0)
            {
                throw ReportMalformed.At(_line, "the report is empty: there is no header row.");
            }
        }

        return !_finished;
    }

    private void Process(ref ReadOnlySequence<byte> buffer, bool completed, IReportLineHandler handler)
    {
        if (!_bomChecked)
        {
            if (buffer.Length < 3 && !completed)
            {
                return;
            }

            _bomChecked = true;
            Span<byte> head = stackalloc byte[3];
            if (buffer.Length >= 3)
            {
                buffer.Slice(0, 3).CopyTo(head);
                if (head.SequenceEqual("\uFEFF"u8))
                {
                    buffer = buffer.Slice(3);
                }
            }
        }

        while (!buffer.IsEmpty)
        {
            // Every record that lies whole in the first segment, parsed in place; the sequence is sliced once.
            var first = buffer.FirstSpan;
            var single = buffer.IsSingleSegment;
            var offset = 0;
            int consumed, fieldCount, lineBreaks;
            try
            {
                while (offset < first.Length
                    && (consumed = TryParseRecord(first[offset..], completed && single, out fieldCount, out lineBreaks)) > 0)
                {
                    OnRecord(first, offset, fieldCount, handler);
                    _line += lineBreaks;
                    offset += consumed;
                }
            }
            catch (CommerceValidationException)
            {
                // A malformed record: the lines before it are matched first, as if handed over one by one, so an error
                // in matching them would still surface before this one.
                Flush(first, handler);
                throw;
            }

            Flush(first, handler);
            if (offset > 0)
            {
                buffer = buffer.Slice(offset);
                continue;
            }

            if (!single && (consumed = ParseStraddling(buffer, completed, out fieldCount, out lineBreaks)) > 0)
            {
                OnRecord(_scratch, 0, fieldCount, handler);
                Flush(_scratch, handler);
                _line += lineBreaks;
                buffer = buffer.Slice(consumed);
                continue;
            }

            if (buffer.Length > _maxLineLength + 2L)
            {
                throw TooLong();
            }

            return; // an incomplete record: wait for more data
        }
    }

    /// <summary>Copies a record that spans segments into the scratch array, growing the copy until the record fits.</summary>
    private int ParseStraddling(in ReadOnlySequence<byte> buffer, bool completed, out int fieldCount, out int lineBreaks)
    {
        var available = buffer.Length;
        var limit = (int)Math.Min(available, _maxLineLength + 3L);
        var size = Math.Min(limit, buffer.FirstSpan.Length + 256);
        while (true)
        {
            if (_scratch.Length < size)
            {
                _scratch = new byte[Math.Max(size, Math.Min(_maxLineLength + 3, Math.Max(_scratch.Length * 2, 1024)))];
            }

            buffer.Slice(0, size).CopyTo(_scratch);
            var consumed = TryParseRecord(_scratch.AsSpan(0, size), completed && size == available, out fieldCount, out lineBreaks);
            if (consumed > 0 || size == limit)
            {
                return consumed;
            }

            size = (int)Math.Min(limit, size * 2L);
        }
    }

    /// <summary>
    /// Splits the record at the start of <paramref name="data"/> into <see cref="_fields"/>. Returns the bytes it takes
    /// with its line end, or 0 when <paramref name="data"/> ends inside it and more may come (<paramref name="final"/>
    /// false). A blank line is a record of no fields.
    /// </summary>
    private int TryParseRecord(ReadOnlySpan<byte> data, bool final, out int fieldCount, out int lineBreaks)
    {
        fieldCount = 0;
        lineBreaks = 0;
        var newline = data.IndexOf(Lf);
        var line = newline >= 0 ? data[..newline] : data;
        if (line.Contains(Quote))
        {
            return TryParseQuoted(data, final, out fieldCount, out lineBreaks);
        }

        if (newline < 0 && !final)
        {
            return Incomplete(data);
        }

        var consumed = newline >= 0 ? newline + 1 : data.Length;
        lineBreaks = newline >= 0 ? 1 : 0;
        if (!line.IsEmpty && line[^1] == Cr)
        {
            line = line[..^1];
        }

        if (line.Length > _maxLineLength)
        {
            throw TooLong();
        }

        if (line.IsEmpty)
        {
            return consumed;
        }

        fieldCount = SplitUnquoted(line);
        return consumed;
    }

    /// <summary>
    /// Splits a line without quotes at its delimiters, 16 bytes at a time: one vector compare marks every delimiter of
    /// the block as a bit, where searching field by field would start a search per field.
    /// </summary>
    private int SplitUnquoted(ReadOnlySpan<byte> line)
    {
        var delimiters = Vector128.Create(_delimiter);
        var count = 0;
        var start = 0;
        var i = 0;
        for (; i <= line.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
        {
            var bits = Vector128.Equals(Vector128.Create(line.Slice(i, Vector128<byte>.Count)), delimiters).ExtractMostSignificantBits();
            while (bits != 0)
            {
                var at = i + BitOperations.TrailingZeroCount(bits);
                AddField(count++, start, at - start, false);
                start = at + 1;
                bits &= bits - 1;
            }
        }

        for (; i < line.Length; i++)
        {
            if (line[i] == _delimiter)
            {
                AddField(count++, start, i - start, false);
                start = i + 1;
            }
        }

        AddField(count++, start, line.Length - start, false);
        return count;
    }

    /// <summary>The general path for records holding a quote: a small state machine, still searching with IndexOf.</summary>
    private int TryParseQuoted(ReadOnlySpan<byte> data, bool final, out int fieldCount, out int lineBreaks)
    {
        fieldCount = 0;
        lineBreaks = 0;
        var breaks = 0;
        var count = 0;
        var i = 0;
        int end; // where the record's content ends
        int next; // where the next record starts
        while (true)
        {
            if (i < data.Length && data[i] == Quote)
            {
                var start = ++i;
                var escaped = false;
                while (true)
                {
                    var q = data[i..].IndexOf(Quote);
                    if (q < 0)
                    {
                        if (final)
                        {
                            throw ReportMalformed.At(_line, $"field {count + 1} opens a quote that is never closed.");
                        }

                        return Incomplete(data);
                    }

                    breaks += data.Slice(i, q).Count(Lf);
                    q += i;
                    if (q + 1 < data.Length && data[q + 1] == Quote)
                    {
                        escaped = true;
                        i = q + 2;
                        continue;
                    }

                    if (q + 1 == data.Length && !final)
                    {
                        return Incomplete(data); // the next byte may be a second quote
                    }

                    AddField(count++, start, q - start, escaped);
                    i = q + 1;
                    break;
                }

                if (i == data.Length)
                {
                    end = next = i;
                    break;
                }

                var c = data[i];
                if (c == _delimiter)
                {
                    i++;
                    continue;
                }

                if (c == Lf)
                {
                    end = i;
                    next = i + 1;
                    breaks++;
                    break;
                }

                if (c == Cr && i + 1 < data.Length && data[i + 1] == Lf)
                {
                    end = i;
                    next = i + 2;
                    breaks++;
                    break;
                }

                if (c == Cr && i + 1 == data.Length)
                {
                    if (!final)
                    {
                        return Incomplete(data);
                    }

                    end = i;
                    next = i + 1;
                    break;
                }

                throw ReportMalformed.At(_line, $"field {count} has characters after its closing quote.");
            }

            var length = data[i..].IndexOfAny(_delimiter, Lf, Quote);
            if (length < 0)
            {
                if (!final)
                {
                    return Incomplete(data);
                }

                end = next = data.Length;
                var fieldEnd = end > i && data[end - 1] == Cr ? end - 1 : end;
                AddField(count++, i, fieldEnd - i, false);
                break;
            }

            var at = i + length;
            if (data[at] == Quote)
            {
                throw ReportMalformed.At(_line, $"field {count + 1} has a quote but does not start with one.");
            }

            if (data[at] == _delimiter)
            {
                AddField(count++, i, length, false);
                i = at + 1;
                continue;
            }

            end = at;
            next = at + 1;
            breaks++;
            AddField(count++, i, (at > i && data[at - 1] == Cr ? at - 1 : at) - i, false);
            break;
        }

        if (end > _maxLineLength + (data[..end].EndsWith(Cr) ? 1 : 0))
        {
            throw TooLong();
        }

        fieldCount = count;
        lineBreaks = breaks;
        return next;
    }

    private int Incomplete(ReadOnlySpan<byte> data) => data.Length > _maxLineLength + 2 ? throw TooLong() : 0;

    private CommerceValidationException TooLong() =>
        ReportMalformed.At(_line, $"the record is longer than the maximum of {_maxLineLength} bytes.");

    private void AddField(int index, int start, int length, bool escaped)
    {
        if (index == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[index] = new FieldRange(start, length, escaped);
    }

    /// <summary>Types the record that starts at <paramref name="record"/> in <paramref name="buffer"/> and batches it if it is a capture or a refund.</summary>
    private void OnRecord(ReadOnlySpan<byte> buffer, int record, int fieldCount, IReportLineHandler handler)
    {
        if (fieldCount == 0)
        {
            return; // a blank line
        }

        // Unescaped fields of batched lines must live until the batch is handed over; those of other records need not.
        var unescapedMark = _unescapedUsed;
        if (_columns.Count == 0)
        {
            ReadHeader(buffer, record, fieldCount);
            _unescapedUsed = unescapedMark;
            return;
        }

        if (fieldCount != _columns.Count)
        {
            throw ReportMalformed.At(_line, $"the record has {fieldCount} fields where the header has {_columns.Count}.");
        }

        Records++;
        var type = Bytes(buffer, Field(buffer, record, _columns.Type));
        SettlementKind kind;
        if (IsOneOf(type, _captureTypes))
        {
            kind = SettlementKind.Capture;
        }
        else if (IsOneOf(type, _refundTypes))
        {
            kind = SettlementKind.Refund;
        }
        else
        {
            Skipped++;
            _unescapedUsed = unescapedMark;
            return;
        }

        var code = Bytes(buffer, Field(buffer, record, _columns.Currency));
        if (!_currencies.TryGet(code, out var currency))
        {
            throw ReportMalformed.At(_line, $"'{Text(code)}' in column '{_format.CurrencyColumn}' is not a known ISO 4217 currency code.");
        }

        var amountColumn = kind == SettlementKind.Refund ? _columns.RefundAmount : _columns.Amount;
        var amountText = Bytes(buffer, Field(buffer, record, amountColumn));
        if (!AmountParser.TryParse(amountText, _format.AmountFormat, _decimalSeparator, currency.Exponent, out var amount)
            || (kind == SettlementKind.Refund && _format.RefundAmountsAreNegative && amount == long.MinValue))
        {
            var name = amountColumn == _columns.Amount ? _format.AmountColumn : _format.RefundAmountColumn;
            throw ReportMalformed.At(
                _line,
                $"'{Text(amountText)}' in column '{name}' is not an amount in {(_format.AmountFormat == ReportAmountFormat.MinorUnits ? "minor units" : "major units")} of {currency.Code}.");
        }

        if (kind == SettlementKind.Refund && _format.RefundAmountsAreNegative)
        {
            amount = -amount;
        }

        var psp = Field(buffer, record, _columns.PspReference);
        var operation = _columns.OperationReference >= 0 ? Field(buffer, record, _columns.OperationReference) : default;
        if (psp.Length == 0 && operation.Length == 0)
        {
            throw ReportMalformed.At(_line, "the line has neither a payment nor an operation reference.");
        }

        var date = _columns.Date >= 0 ? Field(buffer, record, _columns.Date, trim: false) : default;
        _batch[_batched++] = new PendingLine(_line, psp, operation, kind, amount, currency, date);
        if (_batched == BatchSize)
        {
            Flush(buffer, handler);
        }
    }

    /// <summary>Hands the batched lines, which lie in <paramref name="buffer"/>, to the handler.</summary>
    private void Flush(ReadOnlySpan<byte> buffer, IReportLineHandler handler)
    {
        if (_batched == 0)
        {
            return;
        }

        var batch = new ReportLineBatch(_batch.AsSpan(0, _batched), buffer, _unescaped.AsSpan(0, _unescapedUsed));
        _batched = 0; // first: should the handler throw, no line is handed over twice
        _unescapedUsed = 0;
        handler.OnOperations(batch);
    }

    /// <summary>Where field <paramref name="index"/> of the record at <paramref name="record"/> lies, surrounding spaces trimmed unless told.</summary>
    private TextRange Field(ReadOnlySpan<byte> buffer, int record, int index, bool trim = true)
    {
        var field = _fields[index];
        TextRange range;
        if (!field.Escaped)
        {
            range = new TextRange(record + field.Start, field.Length, Unescaped: false);
        }
        else
        {
            // Doubled quotes become one, into a buffer that lives until the batch is handed over.
            var raw = buffer.Slice(record + field.Start, field.Length);
            if (_unescaped.Length - _unescapedUsed < raw.Length)
            {
                Array.Resize(ref _unescaped, Math.Max(_unescapedUsed + raw.Length, _unescaped.Length * 2));
            }

            var destination = _unescaped.AsSpan(_unescapedUsed);
            var written = 0;
            for (var i = 0; i < raw.Length; i++)
            {
                destination[written++] = raw[i];
                if (raw[i] == Quote)
                {
                    i++;
                }
            }

            range = new TextRange(_unescapedUsed, written, Unescaped: true);
            _unescapedUsed += written;
        }

        if (!trim)
        {
            return range;
        }

        var bytes = Bytes(buffer, range);
        var trimmed = bytes.Trim((byte)' ');
        return trimmed.Length == bytes.Length
            ? range
            : range with { Start = range.Start + (bytes.Length - bytes.TrimStart((byte)' ').Length), Length = trimmed.Length };
    }

    private ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> buffer, TextRange range) =>
        (range.Unescaped ? _unescaped : buffer).Slice(range.Start, range.Length);

    private void ReadHeader(ReadOnlySpan<byte> buffer, int record, int fieldCount)
    {
        var names = new string[fieldCount];
        for (var i = 0; i < fieldCount; i++)
        {
            names[i] = Text(Bytes(buffer, Field(buffer, record, i, trim: false))).Trim();
        }

        var line = _line;
        int Find(string? column, bool required, string role)
        {
            if (string.IsNullOrWhiteSpace(column))
            {
                return -1;
            }

            var found = -1;
            for (var i = 0; i < names.Length; i++)
            {
                if (string.Equals(names[i], column.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    if (found >= 0)
                    {
                        throw ReportMalformed.At(line, $"the header has the {role} column '{column}' twice.");
                    }

                    found = i;
                }
            }

            return found >= 0 || !required
                ? found
                : throw ReportMalformed.At(line, $"the header has no {role} column '{column}'.");
        }

        var amount = Find(_format.AmountColumn, true, "amount");
        _columns = new Columns(
            fieldCount,
            Find(_format.PspReferenceColumn, true, "PSP reference"),
            Find(_format.OperationReferenceColumn, true, "operation reference"),
            Find(_format.TypeColumn, true, "type"),
            amount,
            _format.RefundAmountColumn is null ? amount : Find(_format.RefundAmountColumn, true, "refund amount"),
            Find(_format.CurrencyColumn, true, "currency"),
            Find(_format.DateColumn, true, "date"));
    }

    private static bool IsOneOf(ReadOnlySpan<byte> value, byte[][] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (Ascii.EqualsIgnoreCase(value, candidate) || value.SequenceEqual(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);

    private readonly record struct FieldRange(int Start, int Length, bool Escaped);

    private readonly record struct Columns(int Count, int PspReference, int OperationReference, int Type, int Amount, int RefundAmount, int Currency, int Date);
}
