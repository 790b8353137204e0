namespace Commerce.Checkout;

/// <summary>
/// The sold-out fast path: remembers SKUs the store reported sold out so that checkouts for them are refused without
/// touching the store. It only ever refuses early; the store alone decides what is reserved, so a gate that is wrong
/// in either direction can cost a wasted store call or a stale refusal, never an oversell.
/// </summary>
/// <remarks>
/// Staleness must be bounded: a gate lets a checkout through to ask the store again at least once per
/// <see cref="CheckoutOptions.SoldOutRecheckInterval"/>, so a SKU whose stock came back (restock, a release, an expired
/// reservation) is refused for at most about that long. The saga reopens a SKU itself whenever it releases stock.
/// </remarks>
public interface ISoldOutGate
{
    /// <summary>
    /// Whether to refuse a checkout of <paramref name="sku"/> without asking the store: true while it is known sold out,
    /// except for one caller per recheck interval, who is let through to ask the store again.
    /// </summary>
    bool ShouldRefuse(Sku sku);

    /// <summary>Records that the store found no stock at all for <paramref name="sku"/>.</summary>
    void ReportSoldOut(Sku sku);

    /// <summary>Records that <paramref name="sku"/> may have stock again (stock was released or received).</summary>
    void Reopen(Sku sku);
}

/// <summary>The in-process <see cref="ISoldOutGate"/>: a map from SKU to the time it may next be asked about.</summary>
public sealed class InProcessSoldOutGate : ISoldOutGate
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Sku, long> _recheckAt = new();
    private readonly TimeProvider _timeProvider;
    private readonly long _intervalTicks;
    private int _count;

    /// <summary>Creates a gate that rechecks a sold-out SKU once per <paramref name="recheckInterval"/> (zero: never refuses).</summary>
    public InProcessSoldOutGate(TimeSpan recheckInterval, TimeProvider? timeProvider = null)
    {
        if (recheckInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(recheckInterval), recheckInterval, "The interval cannot be negative.");
        }

        _timeProvider = timeProvider ?? TimeProvider.System;
        _intervalTicks = (long)(recheckInterval.TotalSeconds * _timeProvider.TimestampFrequency);
    }

    /// <summary>How many SKUs are marked sold out.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public bool ShouldRefuse(Sku sku)
    {
        // Nothing is sold out almost always: one volatile read, no dictionary lookup.
        if (Volatile.Read(ref _count) == 0 || !_recheckAt.TryGetValue(sku, out var recheckAt))
        {
            return false;
        }

        var now = _timeProvider.GetTimestamp();
        if (now < recheckAt)
        {
            return true;
        }

        // Time to ask the store again: exactly one caller wins the right to, the others keep being refused.
        return !_recheckAt.TryUpdate(sku, now + _intervalTicks, recheckAt);
    }

    /// <inheritdoc />
    public void ReportSoldOut(Sku sku)
    {
        if (_intervalTicks <= 0)
        {
            return;
        }

        var recheckAt = _timeProvider.GetTimestamp() + _intervalTicks;
        if (_recheckAt.TryAdd(sku, recheckAt))
        {
            Interlocked.Increment(ref _count);
        }
        else
        {
            _recheckAt[sku] = recheckAt;
        }
    }

    /// <inheritdoc />
    public void Reopen(Sku sku)
    {
        if (Volatile.Read(ref _count) != 0 && _recheckAt.TryRemove(sku, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
