using System.Globalization;
using System.Text;
using Commerce.Payments.Reconciliation;
using static Commerce.Payments.Reconciliation.Tests.TestKit;

namespace Commerce.Payments.Reconciliation.Tests;

/// <summary>The reader hands lines to the matcher in batches; nothing of that may show.</summary>
public sealed class BatchingTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(61)]
    [InlineData(4096)]
    public async Task Quoted_escaped_and_padded_fields_stay_right_across_batches_and_segments(int segmentSize)
    {
        const int Lines = 300;
        var csv = new StringBuilder(Header);
        var ours = new List<SettledOperation>();
        for (var i = 0; i < Lines; i++)
        {
            // Every other reference has doubled quotes (unescaped into a side buffer), the others surrounding spaces.
            var reference = i % 2 == 0 ? $"op \"{i}\"" : $"op_{i}";
            var field = i % 2 == 0 ? $"\"op \"\"{i}\"\"\"" : $"  op_{i} ";
            var amount = i == 150 ? 1001 : 1000;
            csv.Append(CultureInfo.InvariantCulture, $"\"pay,{i}\",{field},capture,{amount},USD,\"d \"\"{i}\"\"\"\n");
            if (i != 201)
            {
                ours.Add(Capture($"pay,{i}", 1000, reference: reference));
            }
        }

        var report = await new SettlementReconciler(Generic())
            .ReconcileAsync(Async(ours), Segmented(Encoding.UTF8.GetBytes(csv.ToString()), segmentSize), TestContext.Current.CancellationToken);

        Assert.Equal(Lines - 2, report.Matched);
        var mismatch = Assert.Single(report.Discrepancies(DiscrepancyKind.AmountMismatch));
        Assert.Equal(152, mismatch.Reported!.LineNumber);
        Assert.Equal("op \"150\"", mismatch.Reported.OperationReference);
        Assert.Equal("pay,150", mismatch.Reported.PspReference);
        Assert.Equal("d \"150\"", mismatch.Reported.Date);
        var missing = Assert.Single(report.Discrepancies(DiscrepancyKind.MissingOnOurSide)).Reported!;
        Assert.Equal((203, "op_201", "d \"201\""), (missing.LineNumber, missing.OperationReference, missing.Date));
        Assert.Equal(2, report.Discrepancies(DiscrepancyKind.AmountMismatch).Count + report.Discrepancies(DiscrepancyKind.MissingOnOurSide).Count);
    }

    [Fact]
    public async Task A_matching_error_on_a_line_before_a_malformed_one_is_the_error_reported()
    {
        // Line 3 overflows the matched total; line 4 has an unknown currency. Lines are matched in order, so line 3's
        // error comes first, although line 4 is parsed before line 3 is matched.
        var csv = Header +
            $"p1,o1,capture,{long.MaxValue},USD,\n" +
            "p2,o2,capture,1,USD,\n" +
            "p3,o3,capture,1,XXX,\n";

        var error = await Assert.ThrowsAsync<CommerceValidationException>(() =>
            RunAsync(csv, [Capture("p1", long.MaxValue, reference: "o1"), Capture("p2", 1, reference: "o2")]));

        Assert.Equal(CoreErrorCodes.AmountOverflow, error.Code);
    }

    [Fact]
    public async Task A_malformed_line_after_a_batch_of_good_ones_is_reported_at_its_line()
    {
        var csv = new StringBuilder(Header);
        for (var i = 0; i < 40; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"p{i},o{i},capture,5,USD,\n");
        }

        csv.Append("p,o,capture,5,XXX,\n");

        var error = await MalformedAsync(csv.ToString());

        Assert.Equal(PaymentErrorCodes.ReportMalformed, error.Code);
        Assert.StartsWith("Settlement report line 42:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicates_on_our_side_are_found_within_and_across_the_batches_ours_are_indexed_in()
    {
        var ours = Enumerable.Range(0, 100).Select(i => Capture($"p{i}", 5, reference: $"o{i}")).ToList();
        ours.Insert(10, Capture("p9", 5, reference: "o9")); // same batch as the first
        ours.Insert(80, Capture("p3", 5, reference: "o3")); // a later batch
        ours.Add(Capture("p99", 5, reference: "o99")); // the last, partial batch
        var csv = new StringBuilder(Header);
        for (var i = 0; i < 100; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"p{i},o{i},capture,5,USD,\n");
        }

        var report = await RunAsync(csv.ToString(), ours);

        Assert.Equal(100, report.Matched);
        Assert.Equal(["o9", "o3", "o99"], report.Discrepancies(DiscrepancyKind.DuplicateOnOurSide).Select(d => d.Ours!.OperationReference));
        Assert.Equal(3, report.Count(DiscrepancyKind.DuplicateOnOurSide));
        Assert.Equal(0, report.Count(DiscrepancyKind.MissingAtPsp)); // a duplicate takes no part in matching
    }

    [Fact]
    public async Task The_stream_yields_a_duplicate_on_our_side_before_reading_our_next_operation()
    {
        var pulled = 0;
        async IAsyncEnumerable<SettledOperation> Ours()
        {
            foreach (var operation in new[] { Capture("p1", 5, reference: "o1"), Capture("p1", 5, reference: "o1"), Capture("p2", 5, reference: "o2") })
            {
                pulled++;
                yield return operation;
            }

            await Task.CompletedTask;
        }

        var csv = Header + "p1,o1,capture,5,USD,\n" + "p2,o2,capture,5,USD,\n";
        var seen = new List<(DiscrepancyKind Kind, int Pulled)>();
        await foreach (var discrepancy in new SettlementReconciler(Generic()).StreamDiscrepanciesAsync(
            Ours(), new MemoryStream(Encoding.UTF8.GetBytes(csv)), TestContext.Current.CancellationToken))
        {
            seen.Add((discrepancy.Kind, pulled));
        }

        Assert.Equal([(DiscrepancyKind.DuplicateOnOurSide, 2)], seen);
    }

    [Fact]
    public async Task A_payments_operations_stay_chained_while_our_operations_outgrow_their_storage()
    {
        // Without references, 3,000 payments of three operations each, added round-robin, so that each payment's chain
        // is extended after the records have been moved to larger storage many times over.
        const int Payments = 3_000;
        var ours = new List<SettledOperation>();
        var csv = new StringBuilder("psp,type,amount,currency,date\n");
        for (var round = 0; round < 3; round++)
        {
            for (var p = 0; p < Payments; p++)
            {
                var amount = 100 + (round * 10) + (p % 7);
                ours.Add(round == 2 ? Refund($"pay_{p}", amount) : Capture($"pay_{p}", amount));
                var reported = p == 1234 && round == 1 ? amount + 1 : amount;
                csv.Append(CultureInfo.InvariantCulture, $"pay_{p},{(round == 2 ? "refund" : "capture")},{reported},USD,\n");
            }
        }

        var report = await RunAsync(csv.ToString(), ours, Generic(byReference: false));

        Assert.Equal((Payments * 3) - 1, report.Matched);
        var mismatch = Assert.Single(report.Discrepancies(DiscrepancyKind.AmountMismatch));
        Assert.Equal(("pay_1234", 110 + (1234 % 7)), (mismatch.Ours!.PspReference, mismatch.Ours.Amount.MinorUnits));
        Assert.Equal(1, report.Discrepancies(DiscrepancyKind.AmountMismatch).Count + report.Discrepancies(DiscrepancyKind.MissingAtPsp).Count + report.Discrepancies(DiscrepancyKind.MissingOnOurSide).Count);
    }
}
