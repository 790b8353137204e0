using FsCheck;
using FsCheck.Fluent;

namespace Commerce.Core.Tests;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("USD", 2)]
    [InlineData("usd", 2)]
    [InlineData("JPY", 0)]
    [InlineData("KWD", 3)]
    [InlineData("CLF", 4)]
    [InlineData("NGN", 2)]
    public void Currencies_know_their_exponent(string code, byte exponent)
    {
        var currency = Currency.FromCode(code);
        Assert.Equal(code.ToUpperInvariant(), currency.Code);
        Assert.Equal(exponent, currency.Exponent);
    }

    [Theory]
    [InlineData("XYZ")]
    [InlineData("US")]
    [InlineData("")]
    [InlineData("DOLLARS")]
    public void Unknown_currencies_are_rejected_with_a_stable_code(string code)
    {
        Assert.Equal(CoreErrorCodes.UnknownCurrency, Assert.Throws<CommerceValidationException>(() => Currency.FromCode(code)).Code);
        Assert.False(Currency.TryFromCode(code, out _));
    }

    [Fact]
    public void Arithmetic_works_in_minor_units()
    {
        var price = Money.FromDecimal(19.99m, Currency.USD);

        Assert.Equal(1999, price.MinorUnits);
        Assert.Equal(Money.FromMinorUnits(5997, "USD"), price * 3);
        Assert.Equal(Money.FromMinorUnits(3998, "USD"), price + price);
        Assert.Equal(Money.Zero(Currency.USD), price - price);
        Assert.Equal(-1999, (-price).MinorUnits);
        Assert.True(price < price * 2);
        Assert.Equal("19.99 USD", price.ToString());
        Assert.Equal("1500 JPY", Money.FromMinorUnits(1500, "JPY").ToString());
        Assert.Equal("1.250 KWD", Money.FromDecimal(1.25m, Currency.KWD).ToString());
        Assert.Equal(19.99m, price.ToDecimal());
    }

    [Fact]
    public void Mixing_currencies_is_an_error()
    {
        var usd = Money.FromMinorUnits(100, "USD");
        var eur = Money.FromMinorUnits(100, "EUR");

        Assert.Equal(CoreErrorCodes.CurrencyMismatch, Assert.Throws<CommerceValidationException>(() => usd + eur).Code);
        Assert.Equal(CoreErrorCodes.CurrencyMismatch, Assert.Throws<CommerceValidationException>(() => usd - eur).Code);
        Assert.Equal(CoreErrorCodes.CurrencyMismatch, Assert.Throws<CommerceValidationException>(() => usd < eur).Code);
        Assert.NotEqual(usd, eur);
    }

    [Fact]
    public void Overflow_is_an_error_never_a_wrap()
    {
        var max = Money.FromMinorUnits(long.MaxValue, "USD");

        Assert.Equal(CoreErrorCodes.AmountOverflow, Assert.Throws<CommerceValidationException>(() => max + Money.FromMinorUnits(1, "USD")).Code);
        Assert.Equal(CoreErrorCodes.AmountOverflow, Assert.Throws<CommerceValidationException>(() => max * 2).Code);
        Assert.Equal(CoreErrorCodes.AmountOverflow, Assert.Throws<CommerceValidationException>(() => -Money.FromMinorUnits(long.MinValue, "USD")).Code);
        Assert.Equal(CoreErrorCodes.AmountOverflow, Assert.Throws<CommerceValidationException>(() => Money.FromDecimal(1e26m, Currency.USD)).Code);
        Assert.Equal(CoreErrorCodes.AmountOverflow, Assert.Throws<CommerceValidationException>(() => Money.FromDecimal(decimal.MaxValue, Currency.KWD)).Code);
    }

    [Theory]
    [InlineData(12.345, "USD")]
    [InlineData(0.5, "JPY")]
    [InlineData(1.0001, "KWD")]
    public void Amounts_finer_than_the_minor_unit_are_rejected_not_rounded(double amount, string currency)
    {
        var exception = Assert.Throws<CommerceValidationException>(() => Money.FromDecimal((decimal)amount, Currency.FromCode(currency)));
        Assert.Equal(CoreErrorCodes.InvalidAmount, exception.Code);
    }

    [Fact]
    public void A_default_currency_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new Money(1, default));
    }

    [Fact]
    public void Addition_is_exact_and_reversible_or_fails_loudly()
    {
        var property = Prop.ForAll<long, long>((a, b) =>
        {
            var x = Money.FromMinorUnits(a, "EUR");
            var y = Money.FromMinorUnits(b, "EUR");
            try
            {
                var sum = x + y;
                return sum - y == x && sum == y + x && sum.MinorUnits == checked(a + b);
            }
            catch (CommerceValidationException ex) when (ex.Code == CoreErrorCodes.AmountOverflow)
            {
                return (b > 0 && a > long.MaxValue - b) || (b < 0 && a < long.MinValue - b);
            }
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2_000), property);
    }

    [Fact]
    public void Decimal_round_trip_is_exact()
    {
        var property = Prop.ForAll<int>(minor =>
        {
            var money = Money.FromMinorUnits(minor, "KWD");
            return Money.FromDecimal(money.ToDecimal(), Currency.KWD) == money;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2_000), property);
    }
}
