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
}
