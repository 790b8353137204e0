using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Commerce;

/// <summary>
/// An ISO 4217 currency: its three-letter code and its exponent, the number of minor-unit digits
/// (2 for USD, 0 for JPY, 3 for KWD).
/// </summary>
public readonly struct Currency : IEquatable<Currency>
{
    private static readonly FrozenDictionary<string, Currency> Known = BuildTable();

    private readonly string? _code;

    private Currency(string code, byte exponent)
    {
        _code = code;
        Exponent = exponent;
    }

    /// <summary>The upper-case ISO 4217 alphabetic code, for example <c>USD</c>.</summary>
    public string Code => _code ?? throw new InvalidOperationException("The default Currency has no code.");

    /// <summary>The number of digits after the decimal point in the currency's minor unit.</summary>
    public byte Exponent { get; }

    /// <summary>The United States dollar.</summary>
    public static Currency USD => Known["USD"];

    /// <summary>The euro.</summary>
    public static Currency EUR => Known["EUR"];

    /// <summary>The pound sterling.</summary>
    public static Currency GBP => Known["GBP"];

    /// <summary>The Japanese yen (no minor unit).</summary>
    public static Currency JPY => Known["JPY"];

    /// <summary>The Kuwaiti dinar (three minor digits).</summary>
    public static Currency KWD => Known["KWD"];

    /// <summary>The Nigerian naira.</summary>
    public static Currency NGN => Known["NGN"];

    /// <summary>The UAE dirham.</summary>
    public static Currency AED => Known["AED"];

    /// <summary>The Egyptian pound.</summary>
    public static Currency EGP => Known["EGP"];

    /// <summary>Returns the currency for an ISO 4217 code (case-insensitive).</summary>
    /// <exception cref="CommerceValidationException">The code is not a known ISO 4217 code (<c>core.unknown_currency</c>).</exception>
    public static Currency FromCode(string code)
    {
        if (TryFromCode(code, out var currency))
        {
            return currency;
        }

        throw new CommerceValidationException(
            CoreErrorCodes.UnknownCurrency, $"'{code}' is not a known ISO 4217 currency code.", nameof(code));
    }

    /// <summary>Looks up an ISO 4217 code (case-insensitive).</summary>
    public static bool TryFromCode([NotNullWhen(true)] string? code, out Currency currency)
    {
        if (code is { Length: 3 } && Known.TryGetValue(code, out currency))
        {
            return true;
        }

        currency = default;
        return false;
    }

    /// <inheritdoc />
    public bool Equals(Currency other) => string.Equals(_code, other._code, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Currency other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _code is null ? 0 : StringComparer.Ordinal.GetHashCode(_code);

    /// <inheritdoc />
    public override string ToString() => _code ?? string.Empty;

    /// <summary>Compares two currencies by code.</summary>
    public static bool operator ==(Currency left, Currency right) => left.Equals(right);

    /// <summary>Compares two currencies by code.</summary>
    public static bool operator !=(Currency left, Currency right) => !left.Equals(right);

    private static FrozenDictionary<string, Currency> BuildTable()
    {
        // Active ISO 4217 codes. Most have two minor digits; the exceptions are listed explicitly.
        const string TwoDigits =
            "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF " +
            "CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL " +
            "HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP " +
            "MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD " +
            "SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS " +
            "VES WST XCD YER ZAR ZMW ZWG";
        const string ZeroDigits = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
        const string ThreeDigits = "BHD IQD JOD KWD LYD OMR TND";
        const string FourDigits = "CLF UYW";

        var table = new Dictionary<string, Currency>(StringComparer.OrdinalIgnoreCase);
        Add(table, TwoDigits, 2);
        Add(table, ZeroDigits, 0);
        Add(table, ThreeDigits, 3);
        Add(table, FourDigits, 4);
        return table.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        static void Add(Dictionary<string, Currency> table, string codes, byte exponent)
        {
            foreach (var code in codes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                table.Add(code, new Currency(code, exponent));
            }
        }
    }
}
