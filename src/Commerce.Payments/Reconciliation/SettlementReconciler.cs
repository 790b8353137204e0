using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Commerce.Payments.Reconciliation;

/// <summary>
/// Reconciles a PSP's settlement report (CSV, streamed through <see cref="System.IO.Pipelines"/>) against our captures
/// and refunds. Our operations are loaded into memory first (one compact entry each); the report is then read once,
/// line by line, without holding it in memory, so reports of millions of lines are fine. Thread-safe: one instance can
/// run any number of reconciliations at once.
/// </summary>
/// <remarks>
/// Matching is one-to-one. When the format has an operation reference column, a report line is matched to our
/// operation with the same reference and kind (the payment reference is then not compared); lines without a
/// reference, and our operations without one, are matched within their payment by kind, currency and amount, so
/// several partial captures or refunds of one payment each find their own line. A malformed report throws
/// <see cref="CommerceValidationException"/> with code <c>payments.report_malformed</c> and the line number.
/// </remarks>
public sealed class SettlementReconciler
{
    private const int PipeBufferSize = 64 * 1024;

    private readonly SettlementReportFormat _format;
    private readonly ReconciliationOptions _options;

    /// <summary>Creates a reconciler for one report format.</summary>
    /// <param name="format">The report's column mapping, for example <see cref="SettlementReportFormat.Stripe"/>.</param>
    /// <param name="options">Limits; the defaults when null.</param>
    /// <exception cref="ArgumentException">The format or the options are invalid.</exception>
    public SettlementReconciler(SettlementReportFormat format, ReconciliationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(format);
        Validate(format);
        options ??= new ReconciliationOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxDiscrepanciesPerKind, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLineLength, 16, nameof(options));
        _format = format;
        _options = options;
    }

    /// <summary>For tests: keeps only some bits of the lookup tables' hashes, so that references collide.</summary>
    internal uint HashMask { get; init; } = uint.MaxValue;

    /// <summary>Reconciles a report read from <paramref name="report"/>, which is left open.</summary>
    /// <param name="ours">Our settled captures and refunds.</param>
    /// <param name="report">The CSV report, UTF-8.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>Counts, matched totals and the discrepancies (capped per kind; counts exact).</returns>
    /// <exception cref="CommerceValidationException">The report is malformed (<c>payments.report_malformed</c>), or one of our operations lacks a reference, kind or currency (<c>payments.invalid_request</c>).</exception>
    public Task<ReconciliationReport> ReconcileAsync(IAsyncEnumerable<SettledOperation> ours, Stream report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ReconcileAsync(ours, CreateReader(report), cancellationToken);
    }

    /// <summary>Reconciles a report read from <paramref name="report"/>, which is completed when the run ends.</summary>
    /// <param name="ours">Our settled captures and refunds.</param>
    /// <param name="report">The CSV report, UTF-8.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>Counts, matched totals and the discrepancies (capped per kind; counts exact).</returns>
    /// <exception cref="CommerceValidationException">The report is malformed (<c>payments.report_malformed</c>), or one of our operations lacks a reference, kind or currency (<c>payments.invalid_request</c>).</exception>
    public async Task<ReconciliationReport> ReconcileAsync(IAsyncEnumerable<SettledOperation> ours, PipeReader report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(report);
        var sink = new CappedDiscrepancySink(_options.MaxDiscrepanciesPerKind);
        var matcher = new OperationMatcher(_format.OperationReferenceColumn is not null, sink, HashMask);
        var reader = new SettlementReportReader(report, _format, _options.MaxLineLength);
        try
        {
            await foreach (var operation in ours.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                matcher.Add(operation);
            }

            while (await reader.ReadAsync(matcher, cancellationToken).ConfigureAwait(false))
            {
            }
        }
        finally
        {
            await report.CompleteAsync().ConfigureAwait(false);
        }

        matcher.Finish();
        return new ReconciliationReport(
            matcher.OurOperations, reader.Records, reader.Skipped, matcher.Matched, sink.Counts, sink.Kept, matcher.MatchedTotals());
    }

    /// <summary>
    /// Streams every discrepancy (uncapped) as it is found: duplicates on our side while loading ours, then report-side
    /// findings as the report is read, then mismatches that needed the whole report and what is missing at the PSP.
    /// </summary>
    /// <param name="ours">Our settled captures and refunds.</param>
    /// <param name="report">The CSV report, UTF-8; completed when the enumeration ends.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="CommerceValidationException">The report is malformed (<c>payments.report_malformed</c>), or one of our operations lacks a reference, kind or currency (<c>payments.invalid_request</c>).</exception>
    public async IAsyncEnumerable<ReconciliationDiscrepancy> StreamDiscrepanciesAsync(
        IAsyncEnumerable<SettledOperation> ours,
        PipeReader report,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(report);
        var sink = new QueueDiscrepancySink();
        var matcher = new OperationMatcher(_format.OperationReferenceColumn is not null, sink, HashMask);
        var reader = new SettlementReportReader(report, _format, _options.MaxLineLength);
        try
        {
            await foreach (var operation in ours.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                matcher.Add(operation);
                matcher.IndexQueued(); // so that a duplicate on our side is yielded at once
                while (sink.Pending.TryDequeue(out var discrepancy))
                {
                    yield return discrepancy;
                }
            }

            bool more;
            do
            {
                more = await reader.ReadAsync(matcher, cancellationToken).ConfigureAwait(false);
                while (sink.Pending.TryDequeue(out var discrepancy))
                {
                    yield return discrepancy;
                }
            }
            while (more);
        }
        finally
        {
            await report.CompleteAsync().ConfigureAwait(false);
        }

        matcher.Finish();
        while (sink.Pending.TryDequeue(out var discrepancy))
        {
            yield return discrepancy;
        }
    }

    /// <summary>Streams every discrepancy (uncapped) from a report read from <paramref name="report"/>, which is left open.</summary>
    /// <param name="ours">Our settled captures and refunds.</param>
    /// <param name="report">The CSV report, UTF-8.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public IAsyncEnumerable<ReconciliationDiscrepancy> StreamDiscrepanciesAsync(IAsyncEnumerable<SettledOperation> ours, Stream report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        return StreamDiscrepanciesAsync(ours, CreateReader(report), cancellationToken);
    }

    private static PipeReader CreateReader(Stream report) =>
        PipeReader.Create(report, new StreamPipeReaderOptions(bufferSize: PipeBufferSize, minimumReadSize: PipeBufferSize / 4, leaveOpen: true));

    private static void Validate(SettlementReportFormat format)
    {
        Require(format.PspReferenceColumn, nameof(format.PspReferenceColumn));
        Require(format.TypeColumn, nameof(format.TypeColumn));
        Require(format.AmountColumn, nameof(format.AmountColumn));
        Require(format.CurrencyColumn, nameof(format.CurrencyColumn));
        if (format.CaptureTypes is null || format.RefundTypes is null || format.CaptureTypes.Count + format.RefundTypes.Count == 0
            || format.CaptureTypes.Concat(format.RefundTypes).Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("The format needs at least one capture or refund type value, none of them blank.", nameof(format));
        }

        if (format.CaptureTypes.Intersect(format.RefundTypes, StringComparer.OrdinalIgnoreCase).Any())
        {
            throw new ArgumentException("A type value cannot mean both a capture and a refund.", nameof(format));
        }

        if (format.Delimiter is '"' or '\r' or '\n' or > '\x7f')
        {
            throw new ArgumentException("The delimiter must be an ASCII character other than a quote, CR or LF.", nameof(format));
        }

        if (format.DecimalSeparator is (>= '0' and <= '9') or '-' or '+' or > '\x7f' || format.DecimalSeparator == format.Delimiter)
        {
            throw new ArgumentException("The decimal separator must be an ASCII character other than a digit, a sign or the delimiter.", nameof(format));
        }

        if (!Enum.IsDefined(format.AmountFormat))
        {
            throw new ArgumentException("Unknown amount format.", nameof(format));
        }

        static void Require(string value, string name)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"{name} is required.", nameof(format));
            }
        }
    }
}
