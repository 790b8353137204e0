using System.Globalization;
using System.Text;
using Commerce.Payments.Reconciliation;
using static Commerce.Payments.Reconciliation.Tests.TestKit;

namespace Commerce.Payments.Reconciliation.Tests;

public sealed class MatchingTests
{
    [Fact]
    public async Task A_report_that_settles_exactly_our_operations_is_balanced_with_totals_per_currency()
    {
        var csv = Header +
            "pay_1,cap_1,capture,1000,USD,2026-11-01\n" +
            "pay_1,ref_1,refund,250,usd,2026-11-02\n" +
            "pay_2,cap_2,capture,500,JPY,2026-11-01\n" +
            "pay_3,,payout,-999,USD,2026-11-03\n";
        var report = await RunAsync(csv, [
            Capture("pay_1", 1000, reference: "cap_1"),
            Refund("pay_1", 250, reference: "ref_1"),
            Capture("pay_2", 500, "JPY", "cap_2"),
        ]);

        Assert.True(report.IsBalanced);
        Assert.Equal(3, report.OurOperations);
        Assert.Equal(4, report.ReportRecords);
        Assert.Equal(1, report.SkippedRecords);
        Assert.Equal(3, report.Matched);
        Assert.Equal(
            [
                new MatchedTotal(Currency.JPY, 1, Money.FromMinorUnits(500, "JPY"), 0, Money.Zero(Currency.JPY)),
                new MatchedTotal(Currency.USD, 1, Money.FromMinorUnits(1000, "USD"), 1, Money.FromMinorUnits(250, "USD")),
            ],
            report.MatchedTotals);
    }

    [Fact]
    public async Task Every_kind_of_discrepancy_is_found_by_operation_reference()
    {
        var csv = Header +
            "pay_1,cap_1,capture,1000,USD,d1\n" +      // line 2: matched
            "pay_1,cap_1,capture,1000,USD,d1\n" +      // line 3: duplicate in report
            "pay_2,cap_2,capture,1001,USD,d2\n" +      // line 4: amount mismatch
            "pay_3,cap_3,capture,1000,EUR,d3\n" +      // line 5: currency mismatch
            "pay_9,cap_9,capture,700,USD,d9\n" +       // line 6: missing on our side
            "pay_9,cap_9,capture,700,USD,d9\n";        // line 7: a repeat of an unknown one: duplicate in report
        var ours = new[]
        {
            Capture("pay_1", 1000, reference: "cap_1"),
            Capture("pay_2", 1000, reference: "cap_2"),
            Capture("pay_3", 1000, reference: "cap_3"),
            Capture("pay_4", 400, reference: "cap_4"), // missing at PSP
            Capture("pay_4", 400, reference: "cap_4"), // duplicate on our side
        };

        var report = await RunAsync(csv, ours);

        Assert.False(report.IsBalanced);
        Assert.Equal(1, report.Matched);
        var missingOurs = Assert.Single(report.Discrepancies(DiscrepancyKind.MissingOnOurSide));
        Assert.Equal(new ReportedOperation(6, "pay_9", "cap_9", SettlementKind.Capture, Money.FromMinorUnits(700, "USD"), "d9"), missingOurs.Reported);
        Assert.Null(missingOurs.Ours);
        Assert.Equal([3L, 7L], report.Discrepancies(DiscrepancyKind.DuplicateInReport).Select(d => d.Reported!.LineNumber));
        var amount = Assert.Single(report.Discrepancies(DiscrepancyKind.AmountMismatch));
        Assert.Equal(ours[1], amount.Ours);
        Assert.Equal(1001, amount.Reported!.Amount.MinorUnits);
        var currency = Assert.Single(report.Discrepancies(DiscrepancyKind.CurrencyMismatch));
        Assert.Equal(ours[2], currency.Ours);
        Assert.Equal(Currency.EUR, currency.Reported!.Amount.Currency);
        Assert.Equal(ours[3], Assert.Single(report.Discrepancies(DiscrepancyKind.MissingAtPsp)).Ours);
        Assert.Equal(ours[4], Assert.Single(report.Discrepancies(DiscrepancyKind.DuplicateOnOurSide)).Ours);
        foreach (var kind in Enum.GetValues<DiscrepancyKind>())
        {
            Assert.Equal(report.Discrepancies(kind).Count, report.Count(kind));
        }
    }

    [Fact]
    public async Task Partial_captures_and_refunds_of_one_payment_match_one_to_one_without_references()
    {
        var csv = Header +
            "pay_1,,capture,300,USD,\n" +
            "pay_1,,capture,700,USD,\n" +
            "pay_1,,capture,300,USD,\n" +
            "pay_1,,refund,300,USD,\n";
        var ours = new[]
        {
            Capture("pay_1", 300), Capture("pay_1", 300), Capture("pay_1", 700), Refund("pay_1", 300),
        };

        var report = await RunAsync(csv, ours, Generic(byReference: false));

        Assert.True(report.IsBalanced);
        Assert.Equal(4, report.Matched);
        Assert.Equal(1300, report.MatchedTotals.Single().Captured.MinorUnits);
    }

    [Fact]
    public async Task Without_references_a_wrong_amount_is_paired_with_the_operation_left_open_after_every_exact_match()
    {
        var format = Generic(byReference: false);
        var csv = "psp,type,amount,currency,date\n" +
            "pay_1,capture,350,USD,\n" +   // no exact match: kept aside
            "pay_1,capture,300,USD,\n" +   // takes the 300
            "pay_1,capture,700,USD,\n" +   // takes the 700
            "pay_1,capture,700,USD,\n" +   // a second 700 with nothing open: duplicate in report
            "pay_1,refund,100,EUR,\n" +    // wrong currency for our refund
            "pay_2,capture,100,USD,\n";    // no such payment
        var ours = new[]
        {
            Capture("pay_1", 300), Capture("pay_1", 400), Capture("pay_1", 700), Refund("pay_1", 100),
        };

        var report = await RunAsync(csv, ours, format);

        Assert.Equal(2, report.Matched);
        var amount = Assert.Single(report.Discrepancies(DiscrepancyKind.AmountMismatch));
        Assert.Equal((ours[1], 350L, 2L), (amount.Ours, amount.Reported!.Amount.MinorUnits, amount.Reported.LineNumber));
        Assert.Equal(5, Assert.Single(report.Discrepancies(DiscrepancyKind.DuplicateInReport)).Reported!.LineNumber);
        Assert.Equal(ours[3], Assert.Single(report.Discrepancies(DiscrepancyKind.CurrencyMismatch)).Ours);
        Assert.Equal("pay_2", Assert.Single(report.Discrepancies(DiscrepancyKind.MissingOnOurSide)).Reported!.PspReference);
        Assert.Equal(0, report.Count(DiscrepancyKind.MissingAtPsp));
    }

    [Fact]
    public async Task Without_references_lines_left_over_pair_by_the_strongest_evidence_whatever_their_order()
    {
        var format = Generic(byReference: false);
        var ours = new[] { Capture("pay_1", 1000), Capture("pay_1", 2000), Capture("pay_1", 9000), Capture("pay_1", 5000) };
        var csv = "psp,type,amount,currency,date\n" +
            "pay_1,capture,5001,USD,\n" +  // closest to the 5000
            "pay_1,capture,2000,JPY,\n" +  // the same amount as the 2000, in another currency
            "pay_1,capture,1500,USD,\n";   // closest of what is left (1000 and 9000)

        var report = await RunAsync(csv, ours, format);

        Assert.Equal(ours[1], Assert.Single(report.Discrepancies(DiscrepancyKind.CurrencyMismatch)).Ours);
        Assert.Equal(
            [(ours[3], 5001L), (ours[0], 1500L)],
            report.Discrepancies(DiscrepancyKind.AmountMismatch).Select(d => (d.Ours, d.Reported!.Amount.MinorUnits)));
        Assert.Equal(ours[2], Assert.Single(report.Discrepancies(DiscrepancyKind.MissingAtPsp)).Ours);
    }

    [Fact]
    public async Task Our_operations_recorded_without_a_reference_still_match_report_lines_that_carry_one()
    {
        var csv = Header +
            "pay_1,cap_a,capture,300,USD,\n" +
            "pay_1,cap_b,capture,300,USD,\n" +
            "pay_1,cap_b,capture,300,USD,\n";
        var report = await RunAsync(csv, [Capture("pay_1", 300), Capture("pay_1", 300)]);

        Assert.Equal(2, report.Matched);
        Assert.Equal(4, Assert.Single(report.Discrepancies(DiscrepancyKind.DuplicateInReport)).Reported!.LineNumber);
    }

    [Fact]
    public async Task A_reference_we_hold_for_the_other_kind_does_not_match()
    {
        var report = await RunAsync(Header + "pay_1,op_1,refund,300,USD,\n", [Capture("pay_1", 300, reference: "op_1")]);

        Assert.Equal(1, report.Count(DiscrepancyKind.MissingOnOurSide));
        Assert.Equal(1, report.Count(DiscrepancyKind.MissingAtPsp));
    }

    [Fact]
    public async Task Discrepancy_lists_are_capped_but_counts_stay_exact()
    {
        var csv = new StringBuilder(Header);
        for (var i = 0; i < 50; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"pay_{i},cap_{i},capture,100,USD,\n");
        }

        var ours = Enumerable.Range(0, 30).Select(i => Capture($"ours_{i}", 100, reference: $"ours_{i}"));
        var report = await RunAsync(csv.ToString(), ours, options: new ReconciliationOptions { MaxDiscrepanciesPerKind = 3 });

        Assert.Equal(50, report.Count(DiscrepancyKind.MissingOnOurSide));
        Assert.Equal(["pay_0", "pay_1", "pay_2"], report.Discrepancies(DiscrepancyKind.MissingOnOurSide).Select(d => d.Reported!.PspReference));
        Assert.Equal(30, report.Count(DiscrepancyKind.MissingAtPsp));
        Assert.Equal(3, report.Discrepancies(DiscrepancyKind.MissingAtPsp).Count);
    }

    [Fact]
    public async Task The_streaming_api_yields_every_discrepancy_uncapped_in_the_order_found()
    {
        var csv = Header +
            "pay_1,cap_1,capture,1001,USD,\n" +
            "pay_9,cap_9,capture,700,USD,\n";
        var ours = new[] { Capture("pay_1", 1000, reference: "cap_1"), Capture("pay_2", 5, reference: "cap_2"), Capture("pay_2", 5, reference: "cap_2") };
        var reconciler = new SettlementReconciler(Generic(), new ReconciliationOptions { MaxDiscrepanciesPerKind = 0 });

        var found = new List<DiscrepancyKind>();
        await foreach (var discrepancy in reconciler.StreamDiscrepanciesAsync(Async(ours), new MemoryStream(Encoding.UTF8.GetBytes(csv)), TestContext.Current.CancellationToken))
        {
            found.Add(discrepancy.Kind);
        }

        Assert.Equal(
            [DiscrepancyKind.DuplicateOnOurSide, DiscrepancyKind.AmountMismatch, DiscrepancyKind.MissingOnOurSide, DiscrepancyKind.MissingAtPsp],
            found);
    }

    [Fact]
    public async Task Many_currencies_keep_their_own_totals_and_mismatches()
    {
        // More currencies than the matcher scans by reference before falling back to its dictionary.
        string[] codes = ["USD", "EUR", "GBP", "JPY", "KWD", "NGN", "AED", "EGP", "CHF", "SEK", "NOK", "DKK"];
        var csv = new StringBuilder(Header);
        var ours = new List<SettledOperation>();
        for (var i = 0; i < codes.Length * 3; i++)
        {
            var code = codes[i % codes.Length];
            csv.Append(CultureInfo.InvariantCulture, $"p{i},o{i},capture,{100 + i},{(i == 30 ? "USD" : code)},\n");
            ours.Add(Capture($"p{i}", 100 + i, code, $"o{i}"));
        }

        var report = await RunAsync(csv.ToString(), ours);

        Assert.Equal(codes.Length * 3 - 1, report.Matched);
        var mismatch = Assert.Single(report.Discrepancies(DiscrepancyKind.CurrencyMismatch));
        Assert.Equal((Currency.FromCode(codes[6]), Currency.USD), (mismatch.Ours!.Amount.Currency, mismatch.Reported!.Amount.Currency));
        Assert.Equal(codes.Order(StringComparer.Ordinal), report.MatchedTotals.Select(t => t.Currency.Code));
        foreach (var total in report.MatchedTotals)
        {
            var expected = Enumerable.Range(0, codes.Length * 3).Where(i => i != 30 && codes[i % codes.Length] == total.Currency.Code).ToList();
            Assert.Equal(expected.Count, total.Captures);
            Assert.Equal(Money.FromMinorUnits(expected.Sum(i => 100L + i), total.Currency.Code), total.Captured);
        }
    }

    [Fact]
    public async Task Our_operations_must_have_a_reference_and_a_currency()
    {
        var error = await Assert.ThrowsAsync<CommerceValidationException>(() =>
            RunAsync(Header, [new SettledOperation("", SettlementKind.Capture, Money.FromMinorUnits(1, "USD"))]));

        Assert.Equal(PaymentErrorCodes.InvalidRequest, error.Code);
    }

    [Fact]
    public async Task Cancellation_stops_the_run()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SettlementReconciler(Generic()).ReconcileAsync(Async([Capture("p", 1)]), new MemoryStream(Encoding.UTF8.GetBytes(Header)), cts.Token));
    }

    [Fact]
    public void Formats_are_validated_up_front()
    {
        Assert.Throws<ArgumentException>(() => new SettlementReconciler(Generic(delimiter: '"')));
        Assert.Throws<ArgumentException>(() => new SettlementReconciler(new SettlementReportFormat
        {
            PspReferenceColumn = "psp",
            TypeColumn = "type",
            CaptureTypes = ["x"],
            RefundTypes = ["X"],
            AmountColumn = "amount",
            CurrencyColumn = "currency",
        }));
    }
}
