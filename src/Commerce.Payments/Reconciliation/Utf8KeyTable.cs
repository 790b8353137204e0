using System.Buffers.Binary;
using System.Numerics;

namespace Commerce.Payments.Reconciliation;

/// <summary>
/// An open-addressing hash map from UTF-8 byte keys to an <see cref="int"/>, with the keys copied into one byte arena.
/// Reconciliation looks up the report's references straight from the pipe's bytes (no string, no UTF-16 conversion),
/// and a lookup touches one slot and one stretch of the arena; the arrays hold no references, so the garbage collector
/// never scans them. The hash is seeded per instance, so crafted keys cannot force collisions.
/// </summary>
internal sealed class Utf8KeyTable
{
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64();
    private Entry[] _entries;
    private byte[] _keys;
    private int _keysUsed;

    public Utf8KeyTable(int capacity = 256)
    {
        _entries = new Entry[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity * 2, 16))];
        _keys = new byte[Math.Max(capacity * 16, 256)];
    }

    public int Count { get; private set; }

    /// <summary>The value stored under <paramref name="key"/>, added as 0 (with a copy of the key) if missing.</summary>
    public ref int GetValueRefOrAddDefault(ReadOnlySpan<byte> key, out bool exists)
    {
        if ((Count + 1) * 2 > _entries.Length)
        {
            Grow();
        }

        var hash = Hash(key);
        var mask = _entries.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var entry = ref _entries[i];
            if (entry.LengthPlusOne == 0)
            {
                entry = new Entry { Hash = hash, LengthPlusOne = key.Length + 1, Offset = Append(key) };
                Count++;
                exists = false;
                return ref entry.Value;
            }

            if (entry.Hash == hash && entry.LengthPlusOne == key.Length + 1 && _keys.AsSpan(entry.Offset, key.Length).SequenceEqual(key))
            {
                exists = true;
                return ref entry.Value;
            }
        }
    }

    public bool TryGetValue(ReadOnlySpan<byte> key, out int value) => TryGetValue(key, Hash(key), out value);

    /// <summary>As <see cref="TryGetValue(ReadOnlySpan{byte}, out int)"/>, with the key's <see cref="Hash"/>.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, uint hash, out int value)
    {
        var mask = _entries.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var entry = ref _entries[i];
            if (entry.LengthPlusOne == 0)
            {
                value = 0;
                return false;
            }

            if (entry.Hash == hash && entry.LengthPlusOne == key.Length + 1 && _keys.AsSpan(entry.Offset, key.Length).SequenceEqual(key))
            {
                value = entry.Value;
                return true;
            }
        }
    }

    /// <summary>
    /// Loads the slot where a lookup of <paramref name="hash"/> starts, ahead of the lookup: called for a batch of keys
    /// in a loop that does little else, the cache misses overlap. The result means nothing; using it keeps the load.
    /// </summary>
    public uint TouchSlot(uint hash) => _entries[(int)hash & (_entries.Length - 1)].Hash;

    /// <summary>
    /// The value of the first key stored with <paramref name="hash"/> (the looked-up key's own, unless two keys share
    /// a hash), comparing hashes only, and where that key's bytes are, for <see cref="TouchKey"/>: a guess to start
    /// loading data ahead of the real lookup, never an answer.
    /// </summary>
    public bool TryPeek(uint hash, out int value, out int key)
    {
        var mask = _entries.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var entry = ref _entries[i];
            if (entry.LengthPlusOne == 0)
            {
                (value, key) = (0, -1);
                return false;
            }

            if (entry.Hash == hash)
            {
                (value, key) = (entry.Value, entry.LengthPlusOne > 1 ? entry.Offset : -1);
                return true;
            }
        }
    }

    /// <summary>Loads the start of the key found by <see cref="TryPeek"/>, ahead of the lookup; see <see cref="TouchSlot"/>.</summary>
    public uint TouchKey(int key) => key >= 0 ? _keys[key] : 0u;

    private int Append(ReadOnlySpan<byte> key)
    {
        if (_keys.Length - _keysUsed < key.Length)
        {
            Array.Resize(ref _keys, (int)Math.Min(Array.MaxLength, Math.Max(_keysUsed + (long)key.Length, _keys.Length * 2L)));
        }

        var offset = _keysUsed;
        key.CopyTo(_keys.AsSpan(offset));
        _keysUsed += key.Length;
        return offset;
    }

    private void Grow()
    {
        var old = _entries;
        _entries = new Entry[old.Length * 2];
        var mask = _entries.Length - 1;
        foreach (var entry in old)
        {
            if (entry.LengthPlusOne != 0)
            {
                var i = (int)entry.Hash & mask;
                while (_entries[i].LengthPlusOne != 0)
                {
                    i = (i + 1) & mask;
                }

                _entries[i] = entry;
            }
        }
    }

    /// <summary>This table's (seeded) hash of <paramref name="key"/>.</summary>
    public uint Hash(ReadOnlySpan<byte> key)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        var h = _seed ^ ((ulong)key.Length * Multiplier);
        while (key.Length >= 8)
        {
            h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(key)) * Multiplier, 29);
            key = key[8..];
        }

        ulong tail = 0;
        for (var i = 0; i < key.Length; i++)
        {
            tail |= (ulong)key[i] << (8 * i);
        }

        h = (h ^ tail) * Multiplier;

        // The MurmurHash3 finalizer: every input bit affects the low bits used to pick a slot.
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCD;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53;
        h ^= h >> 33;
        return (uint)h;
    }

    private struct Entry
    {
        public uint Hash;
        public int Value;
        public int Offset;
        public int LengthPlusOne;
    }
}
