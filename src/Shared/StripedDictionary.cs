using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Commerce.Collections;

/// <summary>
/// A thread-safe hash map split into lock-guarded stripes. The in-memory stores keep millions of entries: a
/// <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey, TValue}"/> holds each in a node object (and
/// re-creates every node each time it grows), which the garbage collector must copy and mark; a
/// <see cref="Dictionary{TKey, TValue}"/> copies all its entries into a new array twice the size each time it grows,
/// about two and a half entries allocated per entry added. Here entries live inline in fixed-size chunks that are
/// written once and never copied: growing re-allocates only the bucket index (4 bytes per entry). Every call takes one
/// stripe's lock for a few instructions, so calls on different keys rarely meet.
/// </summary>
/// <remarks>Shared source (src/Shared), compiled into each engine that keeps state in memory.</remarks>
internal sealed class StripedDictionary<TKey, TValue>
    where TKey : notnull
{
    private readonly Stripe[] _stripes;
    private readonly IEqualityComparer<TKey>? _comparer;
    private readonly int _stripeShift;

    /// <summary>Creates an empty map with a stripe count from the processor count (a power of two).</summary>
    public StripedDictionary(IEqualityComparer<TKey>? comparer = null)
        : this(comparer, (int)Math.Min(1024, BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount * 16)))
    {
    }

    /// <summary>Creates an empty map with <paramref name="stripes"/> stripes (rounded up to a power of two).</summary>
    public StripedDictionary(IEqualityComparer<TKey>? comparer, int stripes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stripes);
        // Value-type keys with the default comparer are compared through EqualityComparer<TKey>.Default, which the JIT
        // devirtualizes; a comparer object is kept only when one is needed.
        _comparer = typeof(TKey).IsValueType && (comparer is null || ReferenceEquals(comparer, EqualityComparer<TKey>.Default))
            ? null
            : comparer ?? EqualityComparer<TKey>.Default;
        var count = (int)BitOperations.RoundUpToPowerOf2((uint)stripes);
        _stripes = new Stripe[count];
        for (var i = 0; i < count; i++)
        {
            _stripes[i] = new Stripe(_comparer);
        }

        _stripeShift = 32 - BitOperations.Log2((uint)count);
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
            var hash = Hash(key);
            var stripe = StripeOf(hash);
            lock (stripe.Gate)
            {
                stripe.Map.GetValueRefOrAddDefault(key, hash, out _) = value;
            }
        }
    }

    /// <summary>Reads the value of a key.</summary>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        var hash = Hash(key);
        var stripe = StripeOf(hash);
        lock (stripe.Gate)
        {
            ref var slot = ref stripe.Map.GetValueRefOrNullRef(key, hash);
            if (Unsafe.IsNullRef(ref slot))
            {
                value = default;
                return false;
            }

            value = slot;
            return true;
        }
    }

    /// <summary>Whether the key is present.</summary>
    public bool ContainsKey(TKey key)
    {
        var hash = Hash(key);
        var stripe = StripeOf(hash);
        lock (stripe.Gate)
        {
            return !Unsafe.IsNullRef(ref stripe.Map.GetValueRefOrNullRef(key, hash));
        }
    }

    /// <summary>Adds a key that is not present yet; false (and nothing changed) when it is.</summary>
    public bool TryAdd(TKey key, TValue value)
    {
        var hash = Hash(key);
        var stripe = StripeOf(hash);
        lock (stripe.Gate)
        {
            ref var slot = ref stripe.Map.GetValueRefOrAddDefault(key, hash, out var exists);
            if (exists)
            {
                return false;
            }

            slot = value;
            return true;
        }
    }

    /// <summary>Replaces the value of a key only if it is still <paramref name="comparand"/> (compared by <see cref="EqualityComparer{T}.Default"/>).</summary>
    public bool TryUpdate(TKey key, TValue value, TValue comparand)
    {
        var hash = Hash(key);
        var stripe = StripeOf(hash);
        lock (stripe.Gate)
        {
            ref var slot = ref stripe.Map.GetValueRefOrNullRef(key, hash);
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
        var hash = Hash(key);
        var stripe = StripeOf(hash);
        lock (stripe.Gate)
        {
            ref var slot = ref stripe.Map.GetValueRefOrNullRef(key, hash);
            return !Unsafe.IsNullRef(ref slot) && EqualityComparer<TValue>.Default.Equals(slot, value) && stripe.Map.Remove(key, hash, out _);
        }
    }

    /// <summary>Removes a key whatever its value.</summary>
    public bool TryRemove(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        var hash = Hash(key);
        var stripe = StripeOf(hash);
        lock (stripe.Gate)
        {
            return stripe.Map.Remove(key, hash, out value);
        }
    }

    /// <summary>Returns the key's value, adding <paramref name="create"/>'s value first when it is missing (created under the stripe's lock: keep it cheap).</summary>
    public TValue GetOrAdd<TState>(TKey key, Func<TKey, TState, TValue> create, TState state)
    {
        var hash = Hash(key);
        var stripe = StripeOf(hash);
        lock (stripe.Gate)
        {
            ref var found = ref stripe.Map.GetValueRefOrNullRef(key, hash);
            if (!Unsafe.IsNullRef(ref found))
            {
                return found;
            }

            // Created before the entry exists: a factory that throws leaves nothing behind, and no reference into the
            // entries is held while it runs.
            var value = create(key, state);
            stripe.Map.GetValueRefOrAddDefault(key, hash, out _) = value;
            return value;
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
                stripe.Map.AddTo(values, static (list, _, value) => list.Add(value));
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
                stripe.Map.AddTo(entries, static (list, key, value) => list.Add(new(key, value)));
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

                    stripe.Map.CopyTo(buffer);
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

    /// <summary>
    /// The key's hash, mixed (MurmurHash3's finalizer) so that its top bits pick the stripe and its low bits the bucket
    /// inside it, independently, whatever the quality of the key's own hash code.
    /// </summary>
    private uint Hash(TKey key)
    {
        var hash = (uint)(_comparer is null ? key.GetHashCode() : _comparer.GetHashCode(key));
        hash ^= hash >> 16;
        hash *= 0x85EBCA6Bu;
        hash ^= hash >> 13;
        hash *= 0xC2B2AE35u;
        return hash ^ (hash >> 16);
    }

    // A shift by 32 (one stripe) leaves the value unchanged in C#, hence the 64-bit shift.
    private Stripe StripeOf(uint hash) => _stripes[(int)((ulong)hash >> _stripeShift) & (_stripes.Length - 1)];

    private sealed class Stripe(IEqualityComparer<TKey>? comparer)
    {
        public readonly Lock Gate = new();
        public readonly ChunkedMap Map = new(comparer);
    }

    /// <summary>
    /// One stripe's hash map (not thread-safe: the stripe's lock guards it). Chained like <see cref="Dictionary{TKey, TValue}"/>,
    /// but entries live in chunks of <see cref="ChunkSize"/> that are never copied once full (only the first chunk
    /// starts small and grows to that size, so a small map stays small), and removed entries are reused.
    /// </summary>
    private sealed class ChunkedMap(IEqualityComparer<TKey>? comparer)
    {
        private const int ChunkShift = 8;
        private const int ChunkSize = 1 << ChunkShift;
        private const int FirstChunkSize = 4; // times a power of four: ChunkSize

        // Shared by every map until its first entry (a map of many stripes allocates nothing for the ones it never uses);
        // only read, never written.
        private static readonly int[] NoBuckets = [0];

        private Entry[][] _chunks = [];
        private int[] _buckets = NoBuckets; // 1-based entry index; 0 is an empty bucket
        private int _used; // entries handed out so far, free ones included
        private int _freeList = -1;
        private int _freeCount;

        public int Count => _used - _freeCount;

        public ref TValue GetValueRefOrNullRef(TKey key, uint hash)
        {
            var index = _buckets[hash & (uint)(_buckets.Length - 1)] - 1;
            while (index >= 0)
            {
                ref var entry = ref At(index);
                if (entry.Hash == hash && KeysEqual(entry.Key, key))
                {
                    return ref entry.Value;
                }

                index = entry.Next;
            }

            return ref Unsafe.NullRef<TValue>();
        }

        public ref TValue GetValueRefOrAddDefault(TKey key, uint hash, out bool exists)
        {
            ref var found = ref GetValueRefOrNullRef(key, hash);
            if (!Unsafe.IsNullRef(ref found))
            {
                exists = true;
                return ref found!;
            }

            exists = false;
            if (ReferenceEquals(_buckets, NoBuckets))
            {
                _buckets = new int[FirstChunkSize];
                _chunks = [new Entry[FirstChunkSize]];
            }
            else if (Count == _buckets.Length)
            {
                GrowBuckets();
            }

            int index;
            if (_freeList >= 0)
            {
                index = _freeList;
                _freeList = Free(At(index).Next);
                _freeCount--;
            }
            else
            {
                index = _used++;
                EnsureEntry(index);
            }

            ref var bucket = ref _buckets[hash & (uint)(_buckets.Length - 1)];
            ref var entry = ref At(index);
            entry.Hash = hash;
            entry.Key = key;
            entry.Value = default!;
            entry.Next = bucket - 1;
            bucket = index + 1;
            return ref entry.Value;
        }

        public bool Remove(TKey key, uint hash, [MaybeNullWhen(false)] out TValue value)
        {
            ref var bucket = ref _buckets[hash & (uint)(_buckets.Length - 1)];
            var previous = -1;
            var index = bucket - 1;
            while (index >= 0)
            {
                ref var entry = ref At(index);
                if (entry.Hash == hash && KeysEqual(entry.Key, key))
                {
                    if (previous < 0)
                    {
                        bucket = entry.Next + 1;
                    }
                    else
                    {
                        At(previous).Next = entry.Next;
                    }

                    value = entry.Value;
                    // Dropped so the collector does not keep what was removed alive.
                    entry.Key = default!;
                    entry.Value = default!;
                    entry.Next = Free(_freeList);
                    _freeList = index;
                    _freeCount++;
                    return true;
                }

                previous = index;
                index = entry.Next;
            }

            value = default;
            return false;
        }

        /// <summary>Hands every entry to <paramref name="add"/>.</summary>
        public void AddTo<TTarget>(TTarget target, Action<TTarget, TKey, TValue> add)
        {
            for (var i = 0; i < _used; i++)
            {
                ref var entry = ref At(i);
                if (entry.Next >= -1)
                {
                    add(target, entry.Key, entry.Value);
                }
            }
        }

        /// <summary>Copies every entry to the start of <paramref name="buffer"/> (at least <see cref="Count"/> long).</summary>
        public void CopyTo(KeyValuePair<TKey, TValue>[] buffer)
        {
            var copied = 0;
            for (var i = 0; i < _used; i++)
            {
                ref var entry = ref At(i);
                if (entry.Next >= -1)
                {
                    buffer[copied++] = new(entry.Key, entry.Value);
                }
            }
        }

        // Free entries are chained through Next, encoded as -3 - the next free index (its own inverse; the end of the free
        // list, -1, becomes -2), so a Next of -1 or more marks an entry in use.
        private static int Free(int next) => -3 - next;

        private ref Entry At(int index) => ref _chunks[index >> ChunkShift][index & (ChunkSize - 1)];

        private bool KeysEqual(TKey stored, TKey key) =>
            comparer is null ? EqualityComparer<TKey>.Default.Equals(stored, key) : comparer.Equals(stored, key);

        private void EnsureEntry(int index)
        {
            var chunk = index >> ChunkShift;
            if (chunk == 0)
            {
                if (index == _chunks[0].Length)
                {
                    // Only the first chunk grows by copying, four times bigger each time, up to ChunkSize entries.
                    Array.Resize(ref _chunks[0], index * 4);
                }

                return;
            }

            if (chunk == _chunks.Length)
            {
                Array.Resize(ref _chunks, chunk * 2);
            }

            _chunks[chunk] ??= new Entry[ChunkSize];
        }

        private void GrowBuckets()
        {
            // Re-links the chains in place: entries stay where they are, only the index is new.
            var buckets = new int[_buckets.Length * 2];
            var mask = (uint)(buckets.Length - 1);
            for (var i = 0; i < _used; i++)
            {
                ref var entry = ref At(i);
                if (entry.Next >= -1)
                {
                    ref var bucket = ref buckets[entry.Hash & mask];
                    entry.Next = bucket - 1;
                    bucket = i + 1;
                }
            }

            _buckets = buckets;
        }

        private struct Entry
        {
            public uint Hash;
            public int Next;
            public TKey Key;
            public TValue Value;
        }
    }
}
