namespace Commerce.Ordering.InMemory;

/// <summary>
/// A concurrent map from an identifier's text to an object, for maps that only grow: open addressing over one array
/// of key/value slots, so an entry costs 16 bytes of that array and no object of its own (a
/// <c>ConcurrentDictionary</c> node is a 48-byte object per entry, which the garbage collector must trace). Reads take
/// no lock: a slot's value is written before its key, and a reader that sees the key sees the value. Writes take the
/// map's monitor; the array doubles past three quarters full and is published whole.
/// </summary>
/// <remarks>
/// Identifiers are 1 to 64 characters, so the empty string stands for the default (empty) identifier. Nothing is ever
/// removed, so a probe ends at the first empty slot.
/// </remarks>
internal sealed class IdMap
{
    private const int MinCapacity = 16;

    private Slot[] _slots = new Slot[MinCapacity];
    private int _count;

    /// <summary>The number of entries.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The value of <paramref name="key"/>, or null when it has none.</summary>
    public object? Get(string? key)
    {
        key ??= string.Empty;
        var slots = Volatile.Read(ref _slots);
        var mask = slots.Length - 1;
        for (var i = key.GetHashCode() & mask; ; i = (i + 1) & mask)
        {
            var found = Volatile.Read(ref slots[i].Key);
            if (found is null)
            {
                return null;
            }

            if (string.Equals(found, key, StringComparison.Ordinal))
            {
                return Volatile.Read(ref slots[i].Value);
            }
        }
    }

    /// <summary>Adds <paramref name="value"/> under <paramref name="key"/> unless the key has a value; returns the value the key has now.</summary>
    public object GetOrAdd(string? key, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        key ??= string.Empty;
        lock (this)
        {
            var slots = _slots;
            var i = Find(slots, key);
            if (slots[i].Key is not null)
            {
                return slots[i].Value!;
            }

            if (_count + 1 > slots.Length / 4 * 3)
            {
                slots = Grow(slots);
                i = Find(slots, key);
            }

            slots[i].Value = value;
            Volatile.Write(ref slots[i].Key, key);
            Volatile.Write(ref _count, _count + 1);
            return value;
        }
    }

    /// <summary>Replaces the value of <paramref name="key"/> with <paramref name="value"/> if it is still <paramref name="expected"/>.</summary>
    public bool TryUpdate(string? key, object value, object expected)
    {
        ArgumentNullException.ThrowIfNull(value);
        key ??= string.Empty;
        lock (this)
        {
            var slots = _slots;
            var i = Find(slots, key);
            if (slots[i].Key is null || !ReferenceEquals(slots[i].Value, expected))
            {
                return false;
            }

            Volatile.Write(ref slots[i].Value, value);
            return true;
        }
    }

    /// <summary>The slot holding <paramref name="key"/>, or the empty slot where it would go.</summary>
    private static int Find(Slot[] slots, string key)
    {
        var mask = slots.Length - 1;
        var i = key.GetHashCode() & mask;
        while (slots[i].Key is { } found && !string.Equals(found, key, StringComparison.Ordinal))
        {
            i = (i + 1) & mask;
        }

        return i;
    }

    /// <summary>Copies every entry into an array twice the size and publishes it; readers still on the old one see it unchanged.</summary>
    private Slot[] Grow(Slot[] slots)
    {
        var grown = new Slot[slots.Length * 2];
        foreach (var slot in slots)
        {
            if (slot.Key is not null)
            {
                grown[Find(grown, slot.Key)] = slot;
            }
        }

        Volatile.Write(ref _slots, grown);
        return grown;
    }

    private struct Slot
    {
        public string? Key;
        public object? Value;
    }
}
