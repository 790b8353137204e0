using System.Text;

namespace Commerce.Payments.Reconciliation;

/// <summary>Resolves three-letter UTF-8 currency codes without allocating after the first sighting of each code.</summary>
internal sealed class CurrencyCache
{
    private readonly Dictionary<int, Currency> _known = [];
    private int _lastKey;
    private Currency _last;

    public bool TryGet(ReadOnlySpan<byte> code, out Currency currency)
    {
        currency = default;
        if (code.Length != 3 || !IsLetter(code[0]) || !IsLetter(code[1]) || !IsLetter(code[2]))
        {
            return false;
        }

        // Lower-cased letters packed into an int: 'usd', 'USD' and 'Usd' share a key.
        var key = (code[0] | 0x20) | ((code[1] | 0x20) << 8) | ((code[2] | 0x20) << 16);
        if (key == _lastKey)
        {
            currency = _last;
            return true;
        }

        if (!_known.TryGetValue(key, out currency))
        {
            if (!Currency.TryFromCode(Encoding.ASCII.GetString(code), out currency))
            {
                return false;
            }

            _known.Add(key, currency);
        }

        _lastKey = key;
        _last = currency;
        return true;
    }

    private static bool IsLetter(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';
}
