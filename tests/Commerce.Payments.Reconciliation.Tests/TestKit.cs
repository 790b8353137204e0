using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using Commerce.Payments.Reconciliation;

namespace Commerce.Payments.Reconciliation.Tests;

internal static class TestKit
{
    /// <summary>A plain format: psp, op, type, amount (minor units unless told), currency, date.</summary>
    public static SettlementReportFormat Generic(
        bool byReference = true,
        ReportAmountFormat amounts = ReportAmountFormat.MinorUnits,
        char delimiter = ',',
        char decimalSeparator = '.') => new()
        {
            Delimiter = delimiter,
            DecimalSeparator = decimalSeparator,
            PspReferenceColumn = "psp",
            OperationReferenceColumn = byReference ? "op" : null,
            TypeColumn = "type",
            CaptureTypes = ["capture"],
            RefundTypes = ["refund"],
            AmountColumn = "amount",
            AmountFormat = amounts,
            CurrencyColumn = "currency",
            DateColumn = "date",
        };

    public const string Header = "psp,op,type,amount,currency,date\n";

    public static SettledOperation Capture(string psp, long minor, string currency = "USD", string? reference = null) =>
        new(psp, SettlementKind.Capture, Money.FromMinorUnits(minor, currency), reference);

    public static SettledOperation Refund(string psp, long minor, string currency = "USD", string? reference = null) =>
        new(psp, SettlementKind.Refund, Money.FromMinorUnits(minor, currency), reference);

    public static async IAsyncEnumerable<T> Async<T>(IEnumerable<T> items, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
        }

        await Task.CompletedTask;
    }

    public static Task<ReconciliationReport> RunAsync(
        string csv,
        IEnumerable<SettledOperation> ours,
        SettlementReportFormat? format = null,
        ReconciliationOptions? options = null) =>
        new SettlementReconciler(format ?? Generic(), options).ReconcileAsync(Async(ours), new MemoryStream(Encoding.UTF8.GetBytes(csv)), TestContext.Current.CancellationToken);

    /// <summary>A pipe reader over the bytes cut into segments of <paramref name="segmentSize"/> bytes.</summary>
    public static PipeReader Segmented(byte[] bytes, int segmentSize)
    {
        if (bytes.Length == 0)
        {
            return PipeReader.Create(ReadOnlySequence<byte>.Empty);
        }

        Segment? first = null, last = null;
        for (var i = 0; i < bytes.Length; i += segmentSize)
        {
            var chunk = bytes.AsMemory(i, Math.Min(segmentSize, bytes.Length - i));
            if (first is null)
            {
                first = last = new Segment(chunk, 0);
            }
            else
            {
                last = last!.Append(chunk);
            }
        }

        return PipeReader.Create(new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length));
    }

    public static Task<CommerceValidationException> MalformedAsync(string csv, SettlementReportFormat? format = null, ReconciliationOptions? options = null) =>
        Assert.ThrowsAsync<CommerceValidationException>(() => RunAsync(csv, [], format, options));

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>A stream that hands out at most a few bytes per read, as a slow network would.</summary>
internal sealed class TrickleStream(byte[] bytes, int maxChunk) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => bytes.Length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(buffer.Length, maxChunk), bytes.Length - _position);
        bytes.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
