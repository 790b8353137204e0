using System.Collections.Concurrent;

namespace Commerce.Checkout.Admission;

/// <summary>
/// Units of each SKU each buyer holds or bought through this process, against a sale's per-buyer cap. Units are taken
/// before the store is asked and given back when the checkout fails; a checkout compensated later by another process
/// keeps its units counted (too strict, never too lenient). A process restart forgets the counts.
/// </summary>
internal sealed class BuyerQuotas
{
    private readonly ConcurrentDictionary<(BuyerId, Sku), long> _held = new();

    public bool TryTake(BuyerId buyer, Sku sku, long quantity, long cap)
    {
        var key = (buyer, sku);
        while (true)
        {
            if (!_held.TryGetValue(key, out var held))
            {
                if (quantity > cap)
                {
                    return false;
                }

                if (_held.TryAdd(key, quantity))
                {
                    return true;
                }

                continue;
            }

            if (held + quantity > cap)
            {
                return false;
            }

            if (_held.TryUpdate(key, held + quantity, held))
            {
                return true;
            }
        }
    }

    public void Give(BuyerId buyer, Sku sku, long quantity)
    {
        var key = (buyer, sku);
        while (_held.TryGetValue(key, out var held))
        {
            var left = Math.Max(0, held - quantity);
            if (left == 0 ? _held.TryRemove(new KeyValuePair<(BuyerId, Sku), long>(key, held)) : _held.TryUpdate(key, left, held))
            {
                return;
            }
        }
    }

    public long Held(BuyerId buyer, Sku sku) => _held.TryGetValue((buyer, sku), out var held) ? held : 0;
}
