using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Commerce.Collections;

/// <summary>
/// A thread-safe hash map split into lock-guarded stripes, each a <see cref="Dictionary{TKey, TValue}"/>. The in-memory
/// stores keep millions of entries: a <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey, TValue}"/>
/// holds each in a node object (and re-creates every node each time it grows), which the garbage collector must copy
/// and mark; here entries live inline in the stripes' arrays. Every call takes one stripe's lock for a few
/// instructions, so calls on different keys rarely meet.
/// </summary>
/// <remarks>Shared source (src/Shared), compiled into each engine that keeps state in memory.</remarks>
internal sealed class StripedDictionary<TKey, TValue>
    where TKey : notnull
{
    private readonly Stripe[] _stripes;
    private readonly IEqualityComparer<TKey> _comparer;
    private readonly int _mask;

    /// <summary>Creates an empty map with a stripe count from the processor count (a power of two).</summary>
    public StripedDictionary(IEqualityComparer<TKey>? comparer = null)
        : this(comparer, (int)Math.Min(1024, BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount * 16)))
    {
    }

    /// <summary>Creates an empty map with <paramref name="stripes"/> stripes (rounded up to a power of two).</summary>
    public StripedDictionary(IEqualityComparer<TKey>? comparer, int stripes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stripes);
        _comparer = comparer ?? EqualityComparer<TKey>.Default;
        var count = (int)BitOperations.RoundUpToPowerOf2((uint)stripes);
        _stripes = new Stripe[count];
        for (var i = 0; i < count; i++)
        {
            _stripes[i] = new Stripe(_comparer);
        }

        _mask = count - 1;
    }

    /// <summary>How many entries there are (a moment's count while others write).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var stripe in _stripes)
            {
                lock (stripe.Gate)
                {
                    count += stripe.Map.Count;
                }
            }

            return count;
        }
    }

    /// <summary>Sets the value of a key, adding it if missing.</summary>
    public TValue this[TKey key]
    {
        set
        {
            var stripe = StripeOf(key);
            lock (stripe.Gate)
            {
                stripe.Map[key] = value;
            }
        }
    }

    /// <summary>Reads the value of a key.</summary>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        var stripe = StripeOf(key);
        lock (stripe.Gate)
        {
            return stripe.Map.TryGetValue(key, out value);
        }
    }

    /// <summary>Whether the key is present.</summary>
    public bool ContainsKey(TKey key)
    {
        var stripe = StripeOf(key);
        lock (stripe.Gate)
        {
            return stripe.Map.ContainsKey(key);
        }
    }

    /// <summary>Adds a key that is not present yet; false (and nothing changed) when it is.</summary>
    public bool TryAdd(TKey key, TValue value)
    {
        var stripe = StripeOf(key);
        lock (stripe.Gate)
        {
            return stripe.Map.TryAdd(key, value);
        }
    }

    /// <summary>Replaces the value of a key only if it is still <paramref name="comparand"/> (compared by <see cref="EqualityComparer{T}.Default"/>).</summary>
    public bool TryUpdate(TKey key, TValue value, TValue comparand)
    {
        var stripe = StripeOf(key);
        lock (stripe.Gate)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(stripe.Map, key);
            if (Unsafe.IsNullRef(ref slot) || !EqualityComparer<TValue>.Default.Equals(slot, comparand))
            {
                return false;
            }

            slot = value;
            return true;
        }
    }

    /// <summary>Removes a key only if its value is still <paramref name="value"/> (compared by <see cref="EqualityComparer{T}.Default"/>).</summary>
    public bool TryRemove(TKey key, TValue value)
    {
        var stripe = StripeOf(key);
        lock (stripe.Gate)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(stripe.Map, key);
            return !Unsafe.IsNullRef(ref slot) && EqualityComparer<TValue>.Default.Equals(slot, value) && stripe.Map.Remove(key);
        }
    }

    /// <summary>Removes a key whatever its value.</summary>
    public bool TryRemove(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        var stripe = StripeOf(key);
        lock (stripe.Gate)
        {
            return stripe.Map.Remove(key, out value);
        }
    }

    /// <summary>Returns the key's value, adding <paramref name="create"/>'s value first when it is missing (created under the stripe's lock: keep it cheap).</summary>
    public TValue GetOrAdd<TState>(TKey key, Func<TKey, TState, TValue> create, TState state)
    {
        var stripe = StripeOf(key);
        lock (stripe.Gate)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(stripe.Map, key, out var exists);
            if (!exists)
            {
                slot = create(key, state);
            }

            return slot!;
        }
    }

    /// <summary>A copy of the values, one stripe at a time (not one moment's picture while others write).</summary>
    public List<TValue> SnapshotValues()
    {
        var values = new List<TValue>();
        foreach (var stripe in _stripes)
        {
            lock (stripe.Gate)
            {
                values.AddRange(stripe.Map.Values);
            }
        }

        return values;
    }

    /// <summary>A copy of the entries, one stripe at a time (not one moment's picture while others write).</summary>
    public List<KeyValuePair<TKey, TValue>> SnapshotEntries()
    {
        var entries = new List<KeyValuePair<TKey, TValue>>();
        foreach (var stripe in _stripes)
        {
            lock (stripe.Gate)
            {
                entries.AddRange(stripe.Map);
            }
        }

        return entries;
    }

    /// <summary>
    /// The entries, copied one stripe at a time into a reused buffer (not one moment's picture while others write): a
    /// scan of millions of entries holds one stripe's copy, never the whole map's. The caller may change the map meanwhile.
    /// </summary>
    public IEnumerable<KeyValuePair<TKey, TValue>> ScanEntries()
    {
        var buffer = Array.Empty<KeyValuePair<TKey, TValue>>();
        try
        {
            foreach (var stripe in _stripes)
            {
                int count;
                lock (stripe.Gate)
                {
                    count = stripe.Map.Count;
                    if (buffer.Length < count)
                    {
                        ArrayPool<KeyValuePair<TKey, TValue>>.Shared.Return(buffer, clearArray: true);
                        buffer = ArrayPool<KeyValuePair<TKey, TValue>>.Shared.Rent(count);
                    }

                    ((ICollection<KeyValuePair<TKey, TValue>>)stripe.Map).CopyTo(buffer, 0);
                }

                for (var i = 0; i < count; i++)
                {
                    yield return buffer[i];
                }
            }
        }
        finally
        {
            ArrayPool<KeyValuePair<TKey, TValue>>.Shared.Return(buffer, clearArray: true);
        }
    }

    private Stripe StripeOf(TKey key)
    {
        // The dictionary hashes the key again inside the stripe; the stripe takes the high bits of a mixed copy so
        // that the two uses of one hash stay independent.
        var hash = (uint)_comparer.GetHashCode(key) * 0x9E3779B9u;
        return _stripes[(int)(hash >> 16) & _mask];
    }

    private sealed class Stripe(IEqualityComparer<TKey> comparer)
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<TKey, TValue> Map = new(comparer);
    }
}
