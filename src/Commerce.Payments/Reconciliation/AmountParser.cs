namespace Commerce.Payments.Reconciliation;

/// <summary>Exact amount parsing from UTF-8 digits, without floating point or <see cref="decimal"/>.</summary>
internal static class AmountParser
{
    /// <summary>
    /// Parses an optionally signed integer of minor units, or a major-unit decimal scaled by <paramref name="exponent"/>.
    /// Fractional digits beyond the exponent must be zeros; anything else (spaces, thousands separators, exponents,
    /// overflow) fails.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, ReportAmountFormat format, byte decimalSeparator, int exponent, out long minor)
    {
        minor = 0;
        var i = 0;
        var negative = false;
        if (text.Length > 0 && text[0] is (byte)'-' or (byte)'+')
        {
            negative = text[0] == '-';
            i = 1;
        }

        long value = 0;
        var digits = 0;
        for (; i < text.Length; i++)
        {
            var d = text[i] - '0';
            if ((uint)d > 9)
            {
                break;
            }

            if (!TryAppend(ref value, d))
            {
                return false;
            }

            digits++;
        }

        if (format == ReportAmountFormat.MajorUnits)
        {
            var fractionDigits = 0;
            if (i < text.Length && text[i] == decimalSeparator)
            {
                i++;
                var start = i;
                for (; i < text.Length; i++)
                {
                    var d = text[i] - '0';
                    if ((uint)d > 9)
                    {
                        break;
                    }

                    if (fractionDigits < exponent)
                    {
                        if (!TryAppend(ref value, d))
                        {
                            return false;
                        }

                        fractionDigits++;
                    }
                    else if (d != 0)
                    {
                        return false; // finer than the currency's minor unit: never rounded
                    }
                }

                if (i == start)
                {
                    return false; // "12." has no fraction digits
                }

                digits += i - start;
            }

            for (; fractionDigits < exponent; fractionDigits++)
            {
                if (!TryAppend(ref value, 0))
                {
                    return false;
                }
            }
        }

        if (digits == 0 || i != text.Length)
        {
            return false;
        }

        minor = negative ? -value : value;
        return true;
    }

    private static bool TryAppend(ref long value, int digit)
    {
        if (value > (long.MaxValue - digit) / 10)
        {
            return false;
        }

        value = (value * 10) + digit;
        return true;
    }
}
