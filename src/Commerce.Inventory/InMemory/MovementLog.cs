namespace Commerce.Inventory.InMemory;

/// <summary>
/// One row's movement ledger, kept as values: a <see cref="StockMovement"/> object per entry (96 bytes, plus the
/// reference to it) is what the collector marked and copied for every reserve and commit. An entry leaves out what
/// the row already knows (SKU and location) and becomes a <see cref="StockMovement"/> only when read. Entries live in
/// chunks that double in size up to <see cref="MaxChunk"/> entries (56 KB, under the large object heap threshold) and
/// are never copied: a row with a handful of movements holds one small chunk, and a hot SKU's millions of entries are
/// not copied into ever larger arrays as they grow.
/// </summary>
/// <remarks>Not thread-safe: the row's monitor guards it, like every other field of the row.</remarks>
internal sealed class MovementLog
{
    internal const int MaxChunk = 1024;
    private const int FirstChunk = 4;

    // Every chunk before the last is full; a chunk is never copied, so what is allocated is what is kept.
    private List<Entry[]>? _earlier;
    private Entry[] _current = [];
    private int _inCurrent;

    /// <summary>Appends one entry.</summary>
    public void Add(long sequence, StockMovementKind kind, long onHandDelta, long reservedDelta, string reason, string reference, DateTimeOffset occurredAt)
    {
        if (_inCurrent == _current.Length)
        {
            if (_current.Length > 0)
            {
                (_earlier ??= []).Add(_current);
            }

            _current = new Entry[Math.Clamp(_current.Length * 2, FirstChunk, MaxChunk)];
            _inCurrent = 0;
        }

        _current[_inCurrent++] = new Entry(
            sequence, onHandDelta, reservedDelta, reason, reference, occurredAt.UtcTicks, (short)occurredAt.TotalOffsetMinutes, (byte)kind);
    }

    /// <summary>Adds every entry, as the public record, to <paramref name="target"/>.</summary>
    public void CopyTo(Sku sku, LocationId location, List<StockMovement> target)
    {
        if (_earlier is not null)
        {
            foreach (var chunk in _earlier)
            {
                CopyTo(chunk, sku, location, target);
            }
        }

        CopyTo(_current.AsSpan(0, _inCurrent), sku, location, target);
    }

    private static void CopyTo(ReadOnlySpan<Entry> entries, Sku sku, LocationId location, List<StockMovement> target)
    {
        foreach (ref readonly var e in entries)
        {
            var occurredAt = new DateTimeOffset(e.OccurredAtUtcTicks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(e.OffsetMinutes));
            target.Add(new StockMovement(e.Sequence, sku, location, (StockMovementKind)e.Kind, e.OnHandDelta, e.ReservedDelta, e.Reason, e.Reference, occurredAt));
        }
    }

    // 56 bytes: the time as UTC ticks and an offset, and the kind as a byte, fill what a DateTimeOffset would pad.
    private readonly record struct Entry(
        long Sequence, long OnHandDelta, long ReservedDelta, string Reason, string Reference, long OccurredAtUtcTicks, short OffsetMinutes, byte Kind);
}
