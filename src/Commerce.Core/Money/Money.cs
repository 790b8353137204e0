using System.Globalization;

namespace Commerce;

/// <summary>
/// An amount of money: a signed 64-bit count of minor units (cents, fils, yen) and its <see cref="Commerce.Currency"/>.
/// Arithmetic is checked: overflow throws <c>core.amount_overflow</c>, mixing currencies throws
/// <c>core.currency_mismatch</c>. There is no floating point anywhere.
/// </summary>
public readonly struct Money : IEquatable<Money>, IComparable<Money>
{
    /// <summary>Creates an amount from minor units.</summary>
    public Money(long minorUnits, Currency currency)
    {
        if (currency == default)
        {
            throw new ArgumentException("A currency is required.", nameof(currency));
        }

        MinorUnits = minorUnits;
        Currency = currency;
    }

    /// <summary>The amount in minor units of <see cref="Currency"/>.</summary>
    public long MinorUnits { get; }

    /// <summary>The currency.</summary>
    public Currency Currency { get; }

    /// <summary>Whether the amount is zero.</summary>
    public bool IsZero => MinorUnits == 0;

    /// <summary>Whether the amount is below zero.</summary>
    public bool IsNegative => MinorUnits < 0;

    /// <summary>Zero in the given currency.</summary>
    public static Money Zero(Currency currency) => new(0, currency);

    /// <summary>Creates an amount from minor units and an ISO 4217 code.</summary>
    public static Money FromMinorUnits(long minorUnits, string currencyCode) => new(minorUnits, Currency.FromCode(currencyCode));

    /// <summary>
    /// Creates an amount from a decimal in major units (12.34 USD is 1234 minor units). The amount must be exact in
    /// the currency's minor unit: 12.345 USD is rejected with <c>core.invalid_amount</c>, never rounded.
    /// </summary>
    public static Money FromDecimal(decimal amount, Currency currency)
    {
        decimal scaled;
        try
        {
            scaled = amount * Pow10(currency.Exponent);
        }
        catch (OverflowException)
        {
            throw Overflow();
        }

        if (scaled != decimal.Truncate(scaled))
        {
            throw new CommerceValidationException(
                CoreErrorCodes.InvalidAmount,
                $"{amount.ToString(CultureInfo.InvariantCulture)} has more than {currency.Exponent} decimal places for {currency.Code}.",
                nameof(amount));
        }

        if (scaled is > long.MaxValue or < long.MinValue)
        {
            throw Overflow();
        }

        return new Money((long)scaled, currency);
    }

    /// <summary>The amount in major units, exactly.</summary>
    public decimal ToDecimal() => MinorUnits / (decimal)Pow10(Currency.Exponent);

    /// <summary>Adds two amounts of the same currency.</summary>
    public static Money operator +(Money left, Money right)
    {
        EnsureSameCurrency(left, right);
        return new Money(Checked(static (a, b) => checked(a + b), left.MinorUnits, right.MinorUnits), left.Currency);
    }

    /// <summary>Subtracts two amounts of the same currency.</summary>
    public static Money operator -(Money left, Money right)
    {
        EnsureSameCurrency(left, right);
        return new Money(Checked(static (a, b) => checked(a - b), left.MinorUnits, right.MinorUnits), left.Currency);
    }

    /// <summary>Multiplies an amount by a quantity.</summary>
    public static Money operator *(Money amount, long quantity) =>
        new(Checked(static (a, b) => checked(a * b), amount.MinorUnits, quantity), amount.Currency);

    /// <summary>Negates an amount.</summary>
    public static Money operator -(Money amount) =>
        new(Checked(static (a, _) => checked(-a), amount.MinorUnits, 0), amount.Currency);

    /// <summary>Adds two amounts of the same currency.</summary>
    public Money Add(Money other) => this + other;

    /// <summary>Subtracts an amount of the same currency.</summary>
    public Money Subtract(Money other) => this - other;

    /// <summary>Multiplies by a quantity.</summary>
    public Money Multiply(long quantity) => this * quantity;

    /// <summary>Negates the amount.</summary>
    public Money Negate() => -this;

    /// <summary>Compares amounts of the same currency.</summary>
    public int CompareTo(Money other)
    {
        EnsureSameCurrency(this, other);
        return MinorUnits.CompareTo(other.MinorUnits);
    }

    /// <inheritdoc />
    public bool Equals(Money other) => MinorUnits == other.MinorUnits && Currency == other.Currency;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Money other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(MinorUnits, Currency);

    /// <summary>Formats as <c>12.34 USD</c>, culture-invariant.</summary>
    public override string ToString() =>
        Currency == default
            ? MinorUnits.ToString(CultureInfo.InvariantCulture)
            : $"{ToDecimal().ToString("F" + Currency.Exponent.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)} {Currency.Code}";

    /// <summary>Equality.</summary>
    public static bool operator ==(Money left, Money right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Money left, Money right) => !left.Equals(right);

    /// <summary>Less than (same currency only).</summary>
    public static bool operator <(Money left, Money right) => left.CompareTo(right) < 0;

    /// <summary>Greater than (same currency only).</summary>
    public static bool operator >(Money left, Money right) => left.CompareTo(right) > 0;

    /// <summary>Less than or equal (same currency only).</summary>
    public static bool operator <=(Money left, Money right) => left.CompareTo(right) <= 0;

    /// <summary>Greater than or equal (same currency only).</summary>
    public static bool operator >=(Money left, Money right) => left.CompareTo(right) >= 0;

    private static void EnsureSameCurrency(Money left, Money right)
    {
        if (left.Currency != right.Currency)
        {
            throw new CommerceValidationException(
                CoreErrorCodes.CurrencyMismatch,
                $"Cannot combine {left.Currency.Code} and {right.Currency.Code}.");
        }
    }

    private static long Checked(Func<long, long, long> operation, long a, long b)
    {
        try
        {
            return operation(a, b);
        }
        catch (OverflowException)
        {
            throw Overflow();
        }
    }

    private static CommerceValidationException Overflow() =>
        new(CoreErrorCodes.AmountOverflow, "The amount does not fit in 64-bit minor units.");

    private static long Pow10(byte exponent) => exponent switch
    {
        0 => 1,
        1 => 10,
        2 => 100,
        3 => 1_000,
        4 => 10_000,
        _ => throw new ArgumentOutOfRangeException(nameof(exponent)),
    };
}
