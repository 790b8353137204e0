using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Commerce.Payments.Reconciliation;
using static Commerce.Payments.Reconciliation.Tests.TestKit;

namespace Commerce.Payments.Reconciliation.Tests;

public sealed class CsvParsingTests
{
    private static readonly SettledOperation[] Ours =
    [
        Capture("pay,1", 1000, reference: "cap \"one\""),
        Refund("pay_2", 250, reference: "ref_2"),
        Capture("pay_3", 75, reference: "cap_3"),
    ];

    /// <summary>Quoted fields with delimiters, doubled quotes, an embedded line break and an empty quoted field.</summary>
    private const string Quoted =
        "\"psp\",op,\"type\",amount,currency,date\n" +
        "\"pay,1\",\"cap \"\"one\"\"\",capture,\"1000\",USD,\"first\nsecond\"\n" +
        "pay_2,ref_2,\"refund\",250,USD,\"\"\n" +
        "pay_3,cap_3,capture,75,USD,\"a \"\"quoted\"\" date\"\n" +
        "pay_9,cap_9,capture,1,USD,after\n";

    [Fact]
    public async Task Quoted_fields_with_delimiters_doubled_quotes_and_line_breaks_are_read_per_RFC_4180()
    {
        var report = await RunAsync(Quoted, Ours);

        Assert.Equal(3, report.Matched);
        var missing = Assert.Single(report.Discrepancies(DiscrepancyKind.MissingOnOurSide)).Reported!;
        Assert.Equal(6, missing.LineNumber); // the embedded line break counts as a line
        Assert.Equal("after", missing.Date);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task LF_and_CRLF_line_ends_with_or_without_a_BOM_and_a_final_line_end(string newline)
    {
        foreach (var bom in new[] { "", "\uFEFF" })
        {
            foreach (var trailing in new[] { "", newline, newline + newline })
            {
                var csv = bom + Quoted.Replace("\n", newline, StringComparison.Ordinal).TrimEnd('\r', '\n') + trailing;
                var report = await RunAsync(csv, Ours);

                Assert.Equal(3, report.Matched);
                Assert.Equal(4, report.ReportRecords);
                var missing = Assert.Single(report.Discrepancies(DiscrepancyKind.MissingOnOurSide)).Reported!;
                Assert.Equal("after", missing.Date);
                Assert.Equal(6, missing.LineNumber);
            }
        }
    }

    [Fact]
    public async Task Blank_lines_are_skipped_but_counted_for_line_numbers()
    {
        var report = await RunAsync("\n" + Header + "\n\r\npay_1,cap_1,capture,5,USD,\n", []);

        Assert.Equal(5, Assert.Single(report.Discrepancies(DiscrepancyKind.MissingOnOurSide)).Reported!.LineNumber);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public async Task Records_split_across_pipe_segments_read_the_same(int segmentSize)
    {
        var bytes = Encoding.UTF8.GetBytes("\uFEFF" + Quoted.Replace("\n", "\r\n", StringComparison.Ordinal));
        var reconciler = new SettlementReconciler(Generic());

        var report = await reconciler.ReconcileAsync(Async(Ours), Segmented(bytes, segmentSize), TestContext.Current.CancellationToken);

        Assert.Equal(3, report.Matched);
        Assert.Equal(6, Assert.Single(report.Discrepancies(DiscrepancyKind.MissingOnOurSide)).Reported!.LineNumber);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task A_stream_that_returns_a_few_bytes_per_read_reads_the_same(int chunk)
    {
        var bytes = Encoding.UTF8.GetBytes("\uFEFF" + Quoted);
        var reconciler = new SettlementReconciler(Generic());

        var viaStream = await reconciler.ReconcileAsync(Async(Ours), new TrickleStream(bytes, chunk), TestContext.Current.CancellationToken);
        var tinyPipe = PipeReader.Create(new TrickleStream(bytes, chunk), new StreamPipeReaderOptions(bufferSize: 1, minimumReadSize: 1));
        var viaTinyPipe = await reconciler.ReconcileAsync(Async(Ours), tinyPipe, TestContext.Current.CancellationToken);

        foreach (var report in new[] { viaStream, viaTinyPipe })
        {
            Assert.Equal(3, report.Matched);
            Assert.Equal(6, Assert.Single(report.Discrepancies(DiscrepancyKind.MissingOnOurSide)).Reported!.LineNumber);
        }
    }

    [Fact]
    public async Task Header_names_match_case_insensitively_in_any_order_and_other_columns_are_ignored()
    {
        var csv = "Date , EXTRA,Currency,Amount,Type,Op,PSP\n" +
            "2026-11-01,\"x,y\",usd,1000,CAPTURE,cap_1,pay_1\n";

        var report = await RunAsync(csv, [Capture("pay_1", 1000, reference: "cap_1")]);

        Assert.True(report.IsBalanced);
    }

    [Fact]
    public async Task Another_delimiter_and_decimal_separator()
    {
        var csv = "psp;op;type;amount;currency;date\npay_1;cap_1;capture;\"10,50\";EUR;\n";

        var report = await RunAsync(csv, [Capture("pay_1", 1050, "EUR", "cap_1")], Generic(amounts: ReportAmountFormat.MajorUnits, delimiter: ';', decimalSeparator: ','));

        Assert.True(report.IsBalanced);
    }

    [Fact]
    public async Task Non_ASCII_references_are_compared_as_text()
    {
        var report = await RunAsync(Header + "zahlung_ä,op_ü,capture,5,EUR,\n", [Capture("zahlung_ä", 5, "EUR", "op_ü")]);

        Assert.True(report.IsBalanced);
    }

    [Fact]
    public async Task Long_lines_up_to_the_limit_are_accepted()
    {
        var date = new string('d', 200);
        var line = $"pay_1,cap_1,capture,5,USD,{date}";
        var options = new ReconciliationOptions { MaxLineLength = line.Length };

        var report = await RunAsync(Header + line + "\r\n", [Capture("pay_1", 5, reference: "cap_1")], options: options);

        Assert.True(report.IsBalanced);
    }

    [Fact]
    public async Task Delimiters_are_found_at_every_offset_of_the_blocks_a_line_is_scanned_in()
    {
        // Unquoted lines are split 16 bytes at a time: fields of every width from 0 to 40, so that delimiters fall on
        // every position of a block, at block edges and in the tail, with empty fields between delimiters and at the end.
        var csv = new StringBuilder("psp,pad,op,,type,amount,currency,date,tail\n");
        var ours = new List<SettledOperation>();
        for (var width = 0; width <= 40; width++)
        {
            var psp = $"p{new string('x', width)}";
            var op = $"o{width}";
            csv.Append(CultureInfo.InvariantCulture, $"{psp},{new string('-', width)},{op},,capture,{width + 1},USD,d{width},{new string('t', width % 5)}\n");
            ours.Add(Capture(psp, width + 1, reference: op));
        }

        csv.Append("p,,o_last,,capture,7,USD,,\n"); // empty pad, empty date, empty tail: short enough for the tail loop only
        ours.Add(Capture("p", 7, reference: "o_last"));

        var report = await RunAsync(csv.ToString(), ours);

        Assert.True(report.IsBalanced);
        Assert.Equal(42, report.Matched);
    }
}
