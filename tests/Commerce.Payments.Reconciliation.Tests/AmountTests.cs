using System.Text;
using Commerce.Payments.Reconciliation;
using static Commerce.Payments.Reconciliation.Tests.TestKit;

namespace Commerce.Payments.Reconciliation.Tests;

public sealed class AmountTests
{
    [Theory]
    [InlineData("12.34", 2, 1234)]
    [InlineData("12", 2, 1200)]
    [InlineData("12.3", 2, 1230)]
    [InlineData("12.340", 2, 1234)]
    [InlineData("0.01", 2, 1)]
    [InlineData("-0.50", 2, -50)]
    [InlineData("+7.00", 2, 700)]
    [InlineData(".5", 2, 50)]
    [InlineData("500", 0, 500)]
    [InlineData("500.00", 0, 500)]
    [InlineData("1.234", 3, 1234)]
    [InlineData("1.2", 3, 1200)]
    [InlineData("92233720368547758.07", 2, long.MaxValue)]
    public void Major_unit_decimals_scale_exactly_by_the_currency_exponent(string text, int exponent, long expected)
    {
        Assert.True(AmountParser.TryParse(Encoding.ASCII.GetBytes(text), ReportAmountFormat.MajorUnits, (byte)'.', exponent, out var minor));
        Assert.Equal(expected, minor);
    }

    [Theory]
    [InlineData("12.345", 2)]
    [InlineData("500.5", 0)]
    [InlineData("1.2345", 3)]
    [InlineData("12.", 2)]
    [InlineData("", 2)]
    [InlineData("-", 2)]
    [InlineData(".", 2)]
    [InlineData("1,000.00", 2)]
    [InlineData("1e3", 2)]
    [InlineData(" 12", 2)]
    [InlineData("12.3.4", 2)]
    [InlineData("92233720368547758.08", 2)]
    [InlineData("--1", 2)]
    public void Major_unit_text_that_is_not_exact_in_the_minor_unit_is_rejected(string text, int exponent) =>
        Assert.False(AmountParser.TryParse(Encoding.ASCII.GetBytes(text), ReportAmountFormat.MajorUnits, (byte)'.', exponent, out _));

    [Theory]
    [InlineData("1234", 1234)]
    [InlineData("-5", -5)]
    [InlineData("0", 0)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Minor_units_are_integers(string text, long expected)
    {
        Assert.True(AmountParser.TryParse(Encoding.ASCII.GetBytes(text), ReportAmountFormat.MinorUnits, (byte)'.', 2, out var minor));
        Assert.Equal(expected, minor);
    }

    [Theory]
    [InlineData("12.34")]
    [InlineData("9223372036854775808")]
    [InlineData("12a")]
    public void Minor_units_reject_anything_but_an_integer(string text) =>
        Assert.False(AmountParser.TryParse(Encoding.ASCII.GetBytes(text), ReportAmountFormat.MinorUnits, (byte)'.', 2, out _));

    [Fact]
    public async Task Major_units_in_zero_two_and_three_digit_currencies_match_our_minor_units()
    {
        var csv = Header +
            "p1,o1,capture,1234,JPY,\n" +
            "p2,o2,capture,12.34,USD,\n" +
            "p3,o3,capture,1.234,KWD,\n" +
            "p4,o4,refund,0.5,KWD,\n";
        var ours = new[]
        {
            Capture("p1", 1234, "JPY", "o1"), Capture("p2", 1234, "USD", "o2"), Capture("p3", 1234, "KWD", "o3"), Refund("p4", 500, "KWD", "o4"),
        };

        var report = await RunAsync(csv, ours, Generic(amounts: ReportAmountFormat.MajorUnits));

        Assert.True(report.IsBalanced);
        Assert.Equal(["JPY", "KWD", "USD"], report.MatchedTotals.Select(t => t.Currency.Code));
    }
}
