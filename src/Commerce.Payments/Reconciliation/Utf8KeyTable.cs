using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Commerce.Payments.Reconciliation;

/// <summary>
/// An open-addressing hash map from UTF-8 byte keys to small unmanaged <typeparamref name="TValue"/>s, each value
/// stored with a copy of its key in one record of an append-only arena. Reconciliation looks up the report's references
/// straight from the pipe's bytes (no string, no UTF-16 conversion); the arrays hold no references, so the garbage
/// collector never scans them. The hash is seeded per instance, so crafted keys cannot force collisions.
/// </summary>
/// <remarks>
/// <para>
/// A slot is the key's 32-bit hash and where its record is. A lookup that misses, or meets another key, costs one slot
/// (a record is read only when the whole hash matches); one that hits costs the slot and the record, where the value
/// sits right before the key, so that comparing the key brings in the value's cache line too. Against a million keys
/// both are cache misses: the caller can start them for a batch of keys ahead of the lookups (<see cref="TouchSlot"/>,
/// <see cref="TryPeek"/>, <see cref="TouchRecord"/>).
/// </para>
/// <para>
/// Records are addressed by their offset in the arena and never move within it; records without a key
/// (<see cref="Append"/>) can be linked from keyed ones. A <c>ref</c> to a value is valid until the next record is
/// added, which may move the arena.
/// </para>
/// </remarks>
internal sealed class Utf8KeyTable<TValue>
    where TValue : unmanaged
{
    private const int LengthPrefix = sizeof(int);

    private static readonly int ValueSize = Unsafe.SizeOf<TValue>();

    private readonly ulong _seed = (ulong)Random.Shared.NextInt64();
    private readonly uint _hashMask;
    private Slot[] _slots;
    private byte[] _records;
    private int _recordsUsed;

    public Utf8KeyTable(int capacity = 256)
        : this(capacity, uint.MaxValue)
    {
    }

    /// <summary>For tests: <paramref name="hashMask"/> keeps only some hash bits, so that distinct keys share hashes.</summary>
    internal Utf8KeyTable(int capacity, uint hashMask)
    {
        _hashMask = hashMask;
        _slots = new Slot[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity * 2, 16))];
        _records = new byte[Math.Max(capacity * 64, 256)];
    }

    /// <summary>How many keys the table holds.</summary>
    public int Count { get; private set; }

    /// <summary>The value of a record: valid until the next record is added.</summary>
    public ref TValue this[int record] => ref MemoryMarshal.AsRef<TValue>(_records.AsSpan(record, ValueSize));

    /// <summary>The record of <paramref name="key"/>, added with a default value (and a copy of the key) if missing.</summary>
    public int GetOrAdd(ReadOnlySpan<byte> key, out bool exists) => GetOrAdd(key, Hash(key), out exists);

    /// <summary>As <see cref="GetOrAdd(ReadOnlySpan{byte}, out bool)"/>, with the key's <see cref="Hash"/>.</summary>
    public int GetOrAdd(ReadOnlySpan<byte> key, uint hash, out bool exists)
    {
        if ((Count + 1) * 2 > _slots.Length)
        {
            Grow();
        }

        var mask = _slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.RecordPlusOne == 0)
            {
                var record = Add(key);
                slot = new Slot { Hash = hash, RecordPlusOne = record + 1 };
                Count++;
                exists = false;
                return record;
            }

            if (slot.Hash == hash && KeyEquals(slot.RecordPlusOne - 1, key))
            {
                exists = true;
                return slot.RecordPlusOne - 1;
            }
        }
    }

    /// <summary>Adds a record that no key leads to (a caller links to it from another record's value).</summary>
    public int Append(in TValue value)
    {
        var record = Add([]);
        this[record] = value;
        return record;
    }

    public bool TryFind(ReadOnlySpan<byte> key, out int record) => TryFind(key, Hash(key), out record);

    /// <summary>As <see cref="TryFind(ReadOnlySpan{byte}, out int)"/>, with the key's <see cref="Hash"/>.</summary>
    public bool TryFind(ReadOnlySpan<byte> key, uint hash, out int record) => TryProbe(hash, key, matchKey: true, out record);

    /// <summary>
    /// Loads the slot where a lookup of <paramref name="hash"/> starts, ahead of the lookup: called for a batch of keys
    /// in a loop that does little else, the cache misses overlap. The result means nothing; using it keeps the load.
    /// </summary>
    public uint TouchSlot(uint hash) => _slots[(int)hash & (_slots.Length - 1)].Hash;

    /// <summary>
    /// The record of the first key stored with <paramref name="hash"/> (the looked-up key's own, unless two keys share
    /// a hash), comparing hashes only: a guess for <see cref="TouchRecord"/>, never an answer.
    /// </summary>
    public bool TryPeek(uint hash, out int record) => TryProbe(hash, default, matchKey: false, out record);

    /// <summary>Loads a record (value and key) ahead of the lookup; see <see cref="TouchSlot"/>.</summary>
    public uint TouchRecord(int record)
    {
        // First and last byte: a record may straddle two cache lines.
        var last = record + ValueSize + LengthPrefix - 1 + BinaryPrimitives.ReadInt32LittleEndian(_records.AsSpan(record + ValueSize));
        return (uint)_records[record] + _records[last];
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
        return (uint)h & _hashMask;
    }

    /// <summary>Walks the probe sequence of <paramref name="hash"/> to the first slot with that hash (and, if asked, that key).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryProbe(uint hash, ReadOnlySpan<byte> key, bool matchKey, out int record)
    {
        var mask = _slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.RecordPlusOne == 0)
            {
                record = -1;
                return false;
            }

            if (slot.Hash == hash && (!matchKey || KeyEquals(slot.RecordPlusOne - 1, key)))
            {
                record = slot.RecordPlusOne - 1;
                return true;
            }
        }
    }

    private bool KeyEquals(int record, ReadOnlySpan<byte> key)
    {
        var at = record + ValueSize;
        return BinaryPrimitives.ReadInt32LittleEndian(_records.AsSpan(at)) == key.Length
            && _records.AsSpan(at + LengthPrefix, key.Length).SequenceEqual(key);
    }

    /// <summary>Adds a record: a default value, the key's length and the key, padded to 8 bytes so values stay aligned.</summary>
    private int Add(ReadOnlySpan<byte> key)
    {
        var size = (ValueSize + LengthPrefix + (long)key.Length + 7) & ~7L;
        if (_records.Length - _recordsUsed < size)
        {
            Array.Resize(ref _records, (int)Math.Min(Array.MaxLength & ~7, Math.Max(_recordsUsed + size, _records.Length * 2L)));
        }

        var record = _recordsUsed;
        var bytes = _records.AsSpan(record, (int)size);
        bytes[..ValueSize].Clear();
        BinaryPrimitives.WriteInt32LittleEndian(bytes[ValueSize..], key.Length);
        key.CopyTo(bytes[(ValueSize + LengthPrefix)..]);
        _recordsUsed += (int)size;
        return record;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.RecordPlusOne != 0)
            {
                var i = (int)slot.Hash & mask;
                while (_slots[i].RecordPlusOne != 0)
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

        /// <summary>Where the key's record starts in the arena, plus one; 0 for an empty slot.</summary>
        public int RecordPlusOne;
    }
}
