using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using BenchmarkDotNet.Attributes;
using Commerce.Payments.Reconciliation;

namespace Commerce.Benchmarks.Reconciliation;

/// <summary>
/// Settlement-report reconciliation over a generated Stripe-style itemized balance report of 1,000,000 lines held in
/// memory, against 1,000,000 of our operations. Every figure is per report line (<c>OperationsPerInvoke</c>), so
/// lines per second = 10^9 / Mean(ns). Cases: a naive <see cref="StreamReader.ReadLine()"/> + <see cref="string.Split(char, StringSplitOptions)"/>
/// loop (the baseline: reading and splitting only, no quoting rules, no typed fields); the pipe reader alone
/// (RFC 4180 splitting, type, currency and exact amount of every line, no matching); and full reconciliation
/// (loading and indexing our 1,000,000 operations, parsing, matching, discrepancy lists), by operation reference and
/// by payment without references; and parsing plus matching against operations indexed before the measured call.
/// One invocation per iteration (each is a whole 1,000,000-line run).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, unrollFactor: 1)]
public class ReconciliationBenchmarks
{
    private const int Lines = 1_000_000;

    private static readonly (string Code, int Exponent)[] Currencies = [("usd", 2), ("eur", 2), ("jpy", 0), ("kwd", 3)];

    private byte[] _report = [];
    private SettledOperation[] _ours = [];
    private SettlementReconciler _byReference = null!;
    private SettlementReconciler _byPayment = null!;
    private OperationMatcher _indexed = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        (_report, _ours) = Generate(seed: 42);
        _byReference = new SettlementReconciler(SettlementReportFormat.Stripe);
        var byPayment = SettlementReportFormat.Stripe;
        _byPayment = new SettlementReconciler(new SettlementReportFormat
        {
            PspReferenceColumn = byPayment.PspReferenceColumn,
            TypeColumn = byPayment.TypeColumn,
            CaptureTypes = byPayment.CaptureTypes,
            RefundTypes = byPayment.RefundTypes,
            AmountColumn = byPayment.AmountColumn,
            AmountFormat = byPayment.AmountFormat,
            RefundAmountsAreNegative = true,
            CurrencyColumn = byPayment.CurrencyColumn,
            DateColumn = byPayment.DateColumn,
        });

        // Check once that the generated data reconciles as designed (1% injected discrepancies).
        var report = _byReference.ReconcileAsync(Ours(), new MemoryStream(_report, writable: false)).GetAwaiter().GetResult();
        if (report.ReportRecords != Lines || report.Matched < Lines * 0.95)
        {
            throw new InvalidOperationException($"Unexpected data: {report.ReportRecords} records, {report.Matched} matched.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lines, Description = "Naive ReadLine + Split (no quoting, no typing)")]
    public long NaiveReadLineSplit()
    {
        using var reader = new StreamReader(new MemoryStream(_report, writable: false), Encoding.UTF8);
        long fields = 0;
        reader.ReadLine();
        while (reader.ReadLine() is { } line)
        {
            fields += line.Split(',').Length;
        }

        return fields;
    }

    [Benchmark(OperationsPerInvoke = Lines, Description = "Pipe reader: parse and type every line, no matching")]
    public async Task<long> ParseOnly()
    {
        var reader = new SettlementReportReader(PipeReader.Create(new MemoryStream(_report, writable: false)), SettlementReportFormat.Stripe, 64 * 1024);
        var counter = new CountingHandler();
        while (await reader.ReadAsync(counter, CancellationToken.None))
        {
        }

        return counter.Count + reader.Skipped;
    }

    [Benchmark(OperationsPerInvoke = Lines, Description = "Reconcile by operation reference (index 1M ours + parse + match)")]
    public Task<ReconciliationReport> ReconcileByReference() =>
        _byReference.ReconcileAsync(Ours(), new MemoryStream(_report, writable: false));

    /// <summary>Our operations indexed before the measured call (a fresh index per iteration), to split the cost.</summary>
    [IterationSetup(Target = nameof(MatchPreIndexed))]
    public void IndexOurs()
    {
        _indexed = new OperationMatcher(byReference: true, new CappedDiscrepancySink(1_000));
        foreach (var operation in _ours)
        {
            _indexed.Add(operation);
        }

        _indexed.IndexQueued();
    }

    [Benchmark(OperationsPerInvoke = Lines, Description = "Parse + match by reference, ours indexed beforehand")]
    public async Task<long> MatchPreIndexed()
    {
        var reader = new SettlementReportReader(PipeReader.Create(new MemoryStream(_report, writable: false)), SettlementReportFormat.Stripe, 64 * 1024);
        while (await reader.ReadAsync(_indexed, CancellationToken.None))
        {
        }

        _indexed.Finish();
        return _indexed.Matched;
    }

    [Benchmark(OperationsPerInvoke = Lines, Description = "Reconcile by payment, no references (index 1M ours + parse + match)")]
    public Task<ReconciliationReport> ReconcileByPayment() =>
        _byPayment.ReconcileAsync(Ours(), new MemoryStream(_report, writable: false));

    private async IAsyncEnumerable<SettledOperation> Ours()
    {
        foreach (var operation in _ours)
        {
            yield return operation;
        }

        await Task.CompletedTask;
    }

    /// <summary>
    /// About 700,000 payments with a capture each, a second partial capture for 10% and a refund for 20%; 2% of the
    /// lines are payouts and fees (skipped); 1% of the operations carry an injected discrepancy; 10% of the
    /// descriptions are quoted with a comma and doubled quotes inside. Report lines are in random order.
    /// </summary>
    private static (byte[] Report, SettledOperation[] Ours) Generate(int seed)
    {
        var random = new Random(seed);
        var ours = new List<SettledOperation>(Lines);
        var lines = new List<string>(Lines);
        var skipped = Lines / 50;
        while (lines.Count < Lines - skipped)
        {
            var pi = $"pi_{Id(random)}";
            var (code, exponent) = Currencies[random.Next(Currencies.Length)];
            var currency = Currency.FromCode(code);
            var captured = random.NextInt64(100, 500_000);
            AddOperation(pi, SettlementKind.Capture, $"ch_{Id(random)}", captured);
            if (random.Next(10) == 0)
            {
                AddOperation(pi, SettlementKind.Capture, $"ch_{Id(random)}", random.NextInt64(100, 50_000));
            }

            if (random.Next(5) == 0)
            {
                AddOperation(pi, SettlementKind.Refund, $"re_{Id(random)}", random.NextInt64(1, captured));
            }


            void AddOperation(string psp, SettlementKind kind, string reference, long minor)
            {
                var operation = new SettledOperation(psp, kind, new Money(minor, currency), reference);
                var reported = minor;
                switch (random.Next(400))
                {
                    case 0:
                        lines.Add(Line(psp, kind, reference, minor, code, exponent, random)); // missing on our side
                        return;
                    case 1:
                        ours.Add(operation); // missing at the PSP
                        return;
                    case 2:
                        reported = minor + 1; // amount mismatch
                        break;
                    case 3:
                        lines.Add(Line(psp, kind, reference, minor, code, exponent, random)); // duplicate in report
                        break;
                }

                ours.Add(operation);
                lines.Add(Line(psp, kind, reference, reported, code, exponent, random));
            }
        }

        while (lines.Count > Lines - skipped)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        for (var i = 0; i < skipped; i++)
        {
            var payout = random.Next(2) == 0;
            lines.Add($"txn_{Id(random)},2026-11-02 00:00:00,2026-11-02 00:00:00,usd,-{random.Next(1000, 99999)}.00,0.00,-1.00,{(payout ? "payout" : "fee")},{(payout ? "po_" : "fee_")}{Id(random)},{(payout ? "STRIPE PAYOUT" : "Billing")},,");
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lines));
        var csv = new StringBuilder(lines.Count * 160);
        csv.Append("balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,source_id,description,charge_id,payment_intent_id\n");
        foreach (var line in lines)
        {
            csv.Append(line).Append('\n');
        }

        return (Encoding.UTF8.GetBytes(csv.ToString()), [.. ours]);
    }

    private static string Line(string psp, SettlementKind kind, string reference, long minor, string code, int exponent, Random random)
    {
        var signed = kind == SettlementKind.Refund ? -minor : minor;
        var gross = (signed / (decimal)Pow10(exponent)).ToString("F" + exponent, CultureInfo.InvariantCulture);
        var fee = (Math.Abs(signed) / 30 / (decimal)Pow10(exponent)).ToString("F" + exponent, CultureInfo.InvariantCulture);
        var description = random.Next(10) == 0 ? "\"Order 1234, 2 items, \"\"gift\"\"\"" : "Order 1234";
        var category = kind == SettlementKind.Capture ? "charge" : "refund";
        return $"txn_{Id(random)},2026-11-01 10:00:00,2026-11-03 00:00:00,{code},{gross},{fee},{gross},{category},{reference},{description},{reference},{psp}";
    }

    private static long Pow10(int exponent) => exponent switch { 0 => 1, 2 => 100, 3 => 1000, _ => throw new ArgumentOutOfRangeException(nameof(exponent)) };

    private static string Id(Random random) => string.Create(24, random, static (span, r) =>
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = Alphabet[r.Next(Alphabet.Length)];
        }
    });

    private sealed class CountingHandler : IReportLineHandler
    {
        public long Count { get; private set; }

        public void OnOperations(in ReportLineBatch lines) => Count += lines.Count;
    }
}
