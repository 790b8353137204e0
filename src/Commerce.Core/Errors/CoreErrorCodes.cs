namespace Commerce;

/// <summary>Stable error codes raised by <c>Commerce.Core</c> types.</summary>
public static class CoreErrorCodes
{
    /// <summary>An identifier is empty, too long, or holds characters outside printable ASCII.</summary>
    public const string InvalidIdentifier = "core.invalid_identifier";

    /// <summary>A currency code is not a known ISO 4217 code.</summary>
    public const string UnknownCurrency = "core.unknown_currency";

    /// <summary>Two amounts in different currencies were combined.</summary>
    public const string CurrencyMismatch = "core.currency_mismatch";

    /// <summary>A money computation overflowed 64-bit minor units.</summary>
    public const string AmountOverflow = "core.amount_overflow";

    /// <summary>An amount has more fractional digits than its currency allows.</summary>
    public const string InvalidAmount = "core.invalid_amount";
}
