using System.Buffers.Binary;
using System.Numerics;

namespace Commerce.Payments.Reconciliation;

/// <summary>
/// An open-addressing hash map from UTF-8 byte keys to a small unmanaged <typeparamref name="TValue"/>, with the keys
/// copied into one byte arena. Reconciliation looks up the report's references straight from the pipe's bytes (no
/// string, no UTF-16 conversion); the arrays hold no references, so the garbage collector never scans them. The hash
/// is seeded per instance, so crafted keys cannot force collisions.
/// </summary>
/// <remarks>
/// A slot holds the key's 32-bit hash, where its bytes are and the value itself: a lookup that misses, or meets
/// another key, costs one slot (the arena is read only when the whole hash matches), and one that hits needs the slot
/// and the key's bytes, which the caller can load side by side with its own data for the value
/// (<see cref="TryPeek"/>) before the real lookup.
/// </remarks>
internal sealed class Utf8KeyTable<TValue>
    where TValue : unmanaged
{
    private const int LengthPrefix = sizeof(int);

    private readonly ulong _seed = (ulong)Random.Shared.NextInt64();
    private readonly uint _hashMask;
    private Slot[] _slots;
    private byte[] _keys;
    private int _keysUsed;

    public Utf8KeyTable(int capacity = 256)
        : this(capacity, uint.MaxValue)
    {
    }

    /// <summary>For tests: <paramref name="hashMask"/> keeps only some hash bits, so that distinct keys share hashes.</summary>
    internal Utf8KeyTable(int capacity, uint hashMask)
    {
        _hashMask = hashMask;
        _slots = new Slot[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity * 2, 16))];
        _keys = new byte[Math.Max(capacity * 32, 256)];
    }

    public int Count { get; private set; }

    /// <summary>The value stored under <paramref name="key"/>, added as default (with a copy of the key) if missing.</summary>
    public ref TValue GetValueRefOrAddDefault(ReadOnlySpan<byte> key, out bool exists) =>
        ref GetValueRefOrAddDefault(key, Hash(key), out exists);

    /// <summary>As <see cref="GetValueRefOrAddDefault(ReadOnlySpan{byte}, out bool)"/>, with the key's <see cref="Hash"/>.</summary>
    public ref TValue GetValueRefOrAddDefault(ReadOnlySpan<byte> key, uint hash, out bool exists)
    {
        if ((Count + 1) * 2 > _slots.Length)
        {
            Grow();
        }

        var mask = _slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.KeyPlusOne == 0)
            {
                slot = new Slot { Hash = hash, KeyPlusOne = Append(key) + 1 };
                Count++;
                exists = false;
                return ref slot.Value;
            }

            if (slot.Hash == hash && KeyEquals(slot.KeyPlusOne - 1, key))
            {
                exists = true;
                return ref slot.Value;
            }
        }
    }

    public bool TryGetValue(ReadOnlySpan<byte> key, out TValue value) => TryGetValue(key, Hash(key), out value);

    /// <summary>As <see cref="TryGetValue(ReadOnlySpan{byte}, out TValue)"/>, with the key's <see cref="Hash"/>.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, uint hash, out TValue value)
    {
        var mask = _slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.KeyPlusOne == 0)
            {
                value = default;
                return false;
            }

            if (slot.Hash == hash && KeyEquals(slot.KeyPlusOne - 1, key))
            {
                value = slot.Value;
                return true;
            }
        }
    }

    /// <summary>
    /// Loads the slot where a lookup of <paramref name="hash"/> starts, ahead of the lookup: called for a batch of keys
    /// in a loop that does little else, the cache misses overlap. The result means nothing; using it keeps the load.
    /// </summary>
    public uint TouchSlot(uint hash) => _slots[(int)hash & (_slots.Length - 1)].Hash;

    /// <summary>
    /// The value of the first key stored with <paramref name="hash"/> (the looked-up key's own, unless two keys share
    /// a hash), comparing hashes only, and where that key's bytes are, for <see cref="TouchKey"/>: a guess to start
    /// loading data ahead of the real lookup, never an answer.
    /// </summary>
    public bool TryPeek(uint hash, out TValue value, out int key)
    {
        var mask = _slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.KeyPlusOne == 0)
            {
                (value, key) = (default, -1);
                return false;
            }

            if (slot.Hash == hash)
            {
                (value, key) = (slot.Value, slot.KeyPlusOne - 1);
                return true;
            }
        }
    }

    /// <summary>Loads the key found by <see cref="TryPeek"/> (its length and first bytes), ahead of the lookup; see <see cref="TouchSlot"/>.</summary>
    public uint TouchKey(int key) => key >= 0 ? _keys[key] : 0u;

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
        return (uint)h & _hashMask;
    }

    private bool KeyEquals(int at, ReadOnlySpan<byte> key) =>
        BinaryPrimitives.ReadInt32LittleEndian(_keys.AsSpan(at)) == key.Length
        && _keys.AsSpan(at + LengthPrefix, key.Length).SequenceEqual(key);

    /// <summary>Copies the key into the arena, after its length; returns where it starts.</summary>
    private int Append(ReadOnlySpan<byte> key)
    {
        var size = LengthPrefix + (long)key.Length;
        if (_keys.Length - _keysUsed < size)
        {
            Array.Resize(ref _keys, (int)Math.Min(Array.MaxLength, Math.Max(_keysUsed + size, _keys.Length * 2L)));
        }

        var at = _keysUsed;
        BinaryPrimitives.WriteInt32LittleEndian(_keys.AsSpan(at), key.Length);
        key.CopyTo(_keys.AsSpan(at + LengthPrefix));
        _keysUsed += (int)size;
        return at;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.KeyPlusOne != 0)
            {
                var i = (int)slot.Hash & mask;
                while (_slots[i].KeyPlusOne != 0)
                {
                    i = (i + 1) & mask;
                }

                _slots[i] = slot;
            }
        }
    }

    private struct Slot
    {
        public uint Hash;

        /// <summary>Where the key's length and bytes start in the arena, plus one; 0 for an empty slot.</summary>
        public int KeyPlusOne;

        public TValue Value;
    }
}
