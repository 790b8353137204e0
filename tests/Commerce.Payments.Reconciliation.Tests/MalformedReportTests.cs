using Commerce.Payments.Reconciliation;
using static Commerce.Payments.Reconciliation.Tests.TestKit;

namespace Commerce.Payments.Reconciliation.Tests;

public sealed class MalformedReportTests
{
    [Theory]
    [InlineData("pay_1,cap_1,capture,5,USD,\npay_2,\"cap_2,capture,5,USD,\n", 3, "never closed")]
    [InlineData("pay_1,cap_1,capture,5,USD,\npay_2,cap_2,capture,5,USD\n", 3, "5 fields where the header has 6")]
    [InlineData("pay_1,cap_1,capture,5,USD,,\n", 2, "7 fields")]
    [InlineData("pay_1,cap_1,capture,5.00,USD,\n", 2, "'5.00' in column 'amount'")]
    [InlineData("pay_1,cap_1,capture,,USD,\n", 2, "'' in column 'amount'")]
    [InlineData("pay_1,cap_1,capture,5,XXX,\n", 2, "'XXX' in column 'currency'")]
    [InlineData("pay_1,cap_1,capture,5,US,\n", 2, "'US'")]
    [InlineData("pay_1,cap_1,capture,5,USD,\"a\"b\n", 2, "after its closing quote")]
    [InlineData("pay_1,ca\"p_1,capture,5,USD,\n", 2, "does not start with one")]
    [InlineData(",,capture,5,USD,\n", 2, "neither a payment nor an operation reference")]
    [InlineData("pay_1,cap_1,capture,5,USD,\"multi\nline\"\npay_2,cap_2,capture,x,USD,\n", 4, "'x'")]
    public async Task Malformed_records_are_rejected_with_their_line_number(string body, int line, string detail)
    {
        var error = await MalformedAsync(Header + body);

        Assert.Equal(PaymentErrorCodes.ReportMalformed, error.Code);
        Assert.StartsWith($"Settlement report line {line}:", error.Message, StringComparison.Ordinal);
        Assert.Contains(detail, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lines_of_other_types_are_not_parsed_further()
    {
        var report = await RunAsync(Header + "pay_1,,fee,n/a,,\n", []);

        Assert.Equal(1, report.SkippedRecords);
    }

    [Theory]
    [InlineData("psp,op,type,amount,date\n", "no currency column 'currency'")]
    [InlineData("psp,op,type,amount,currency,date,Amount\n", "amount column 'amount' twice")]
    [InlineData("", "empty")]
    [InlineData("\uFEFF\n\n", "empty")]
    public async Task A_missing_or_ambiguous_header_is_rejected(string csv, string detail)
    {
        var error = await MalformedAsync(csv);

        Assert.Equal(PaymentErrorCodes.ReportMalformed, error.Code);
        Assert.Contains(detail, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pay_1,cap_1,capture,5,USD,{0}\n")]
    [InlineData("pay_1,cap_1,capture,5,USD,\"{0}\"\n")]
    [InlineData("pay_1,cap_1,capture,5,USD,{0}")]
    [InlineData("pay_1,cap_1,capture,5,USD,\"{0}")]
    public async Task Records_longer_than_the_limit_are_rejected(string template)
    {
        var body = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, new string('x', 300));

        var error = await MalformedAsync(Header + "pay_0,cap_0,capture,5,USD,\n" + body, options: new ReconciliationOptions { MaxLineLength = 100 });

        Assert.Equal(PaymentErrorCodes.ReportMalformed, error.Code);
        Assert.StartsWith("Settlement report line 3:", error.Message, StringComparison.Ordinal);
        Assert.Contains("longer than the maximum of 100 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unterminated_quote_in_a_long_report_fails_at_the_length_limit_not_at_the_end()
    {
        var body = "pay_1,cap_1,capture,5,USD,\"" + string.Concat(Enumerable.Repeat("pay_2,cap_2,capture,5,USD,\n", 10_000));

        var error = await MalformedAsync(Header + body, options: new ReconciliationOptions { MaxLineLength = 1024 });

        Assert.StartsWith("Settlement report line 2:", error.Message, StringComparison.Ordinal);
        Assert.Contains("longer than the maximum", error.Message, StringComparison.Ordinal);
    }
}
