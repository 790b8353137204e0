namespace Commerce.Ordering.InMemory;

/// <summary>
/// The orders of one buyer or one seller, sorted by placement time then id, listed newest first (ids, descending,
/// break ties: the order the PostgreSQL store pages in). The records are held oldest first in sorted arrays
/// ("chunks") of at most <see cref="ChunkCapacity"/>: no object per order, a binary search to find a page or an
/// insert's place, and an insert moves at most one chunk's worth of references. Orders mostly arrive in time order, so
/// an insert usually lands at the end of the last chunk, and a full last chunk is followed by a new one rather than
/// split. Small indexes use one chunk that grows by doubling. All members take the index's monitor.
/// </summary>
internal sealed class OrderIndex
{
    internal const int ChunkCapacity = 256;
    private const int FirstChunkCapacity = 4;

    // Until the first chunk fills, it is the only one and _chunks is null: a small index is two objects.
    private OrderRecord[] _first = new OrderRecord[FirstChunkCapacity];
    private int _firstCount;
    private OrderRecord[][]? _chunks;
    private int[]? _counts;
    private int _chunkCount = 1;

    /// <summary>The number of orders in the index.</summary>
    public int Count
    {
        get
        {
            lock (this)
            {
                var count = 0;
                for (var c = 0; c < _chunkCount; c++)
                {
                    count += CountOf(c);
                }

                return count;
            }
        }
    }

    /// <summary>Whether <paramref name="record"/> comes after <paramref name="cursor"/> newest first, that is, is older.</summary>
    public static bool IsAfter(OrderRecord record, OrderCursor cursor) => Compare(record, cursor.PlacedAt.UtcTicks, cursor.OrderId) < 0;

    /// <summary>Adds an order; adding one that is already there changes nothing.</summary>
    public void Add(OrderRecord record)
    {
        lock (this)
        {
            var chunk = FindChunk(record.PlacedAtTicks, record.Id);
            var items = ChunkAt(chunk);
            var count = CountOf(chunk);
            var position = Search(items, count, record.PlacedAtTicks, record.Id);
            if (position >= 0)
            {
                return;
            }

            position = ~position;
            if (count == items.Length)
            {
                if (items.Length < ChunkCapacity)
                {
                    Array.Resize(ref items, Math.Min(items.Length * 2, ChunkCapacity));
                    SetChunk(chunk, items);
                }
                else if (position == count && chunk == _chunkCount - 1)
                {
                    // In time order: start the next chunk, leaving this one full.
                    InsertChunk(chunk + 1, new OrderRecord[ChunkCapacity], 0);
                    chunk++;
                    items = ChunkAt(chunk);
                    count = 0;
                    position = 0;
                }
                else
                {
                    // Out of order into a full chunk: move its upper half to a new chunk after it.
                    var half = count / 2;
                    var upper = new OrderRecord[ChunkCapacity];
                    Array.Copy(items, half, upper, 0, count - half);
                    Array.Clear(items, half, count - half);
                    InsertChunk(chunk + 1, upper, count - half);
                    SetCount(chunk, half);
                    if (position > half)
                    {
                        chunk++;
                        items = upper;
                        position -= half;
                        count -= half;
                    }
                    else
                    {
                        count = half;
                    }
                }
            }

            Array.Copy(items, position, items, position + 1, count - position);
            items[position] = record;
            SetCount(chunk, count + 1);
        }
    }

    /// <summary>Up to <paramref name="limit"/> orders older than <paramref name="after"/> (all when null), newest first, in <paramref name="state"/> when given.</summary>
    public Order[] List(OrderState? state, OrderCursor? after, int limit)
    {
        var page = new List<Order>(Math.Min(limit, 64));
        lock (this)
        {
            int chunk, position;
            if (after is { } cursor)
            {
                var ticks = cursor.PlacedAt.UtcTicks;
                chunk = FindChunk(ticks, cursor.OrderId);
                position = Search(ChunkAt(chunk), CountOf(chunk), ticks, cursor.OrderId);
                // The newest order strictly older than the cursor: the one before the cursor's place.
                position = (position >= 0 ? position : ~position) - 1;
            }
            else
            {
                chunk = _chunkCount - 1;
                position = CountOf(chunk) - 1;
            }

            for (; chunk >= 0; chunk--, position = chunk >= 0 ? CountOf(chunk) - 1 : -1)
            {
                var items = ChunkAt(chunk);
                for (; position >= 0; position--)
                {
                    var order = items[position].Current;
                    if (state is null || order.State == state)
                    {
                        page.Add(order);
                        if (page.Count == limit)
                        {
                            return [.. page];
                        }
                    }
                }
            }
        }

        return [.. page];
    }

    /// <summary>Placement time, then id (ordinal).</summary>
    private static int Compare(OrderRecord record, long ticks, OrderId id)
    {
        var byTime = record.PlacedAtTicks.CompareTo(ticks);
        return byTime != 0 ? byTime : record.Id.CompareTo(id);
    }

    /// <summary>The index of the key in <paramref name="items"/>, or the complement of where it would go.</summary>
    private static int Search(OrderRecord[] items, int count, long ticks, OrderId id)
    {
        // Most keys are newer than everything: check the end first.
        if (count == 0 || Compare(items[count - 1], ticks, id) < 0)
        {
            return ~count;
        }

        var low = 0;
        var high = count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var comparison = Compare(items[middle], ticks, id);
            if (comparison == 0)
            {
                return middle;
            }

            if (comparison < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }

    /// <summary>The first chunk whose newest order is not older than the key; the last chunk when every one is.</summary>
    private int FindChunk(long ticks, OrderId id)
    {
        var low = 0;
        var high = _chunkCount - 1;
        while (low < high)
        {
            var middle = low + ((high - low) >> 1);
            if (Compare(ChunkAt(middle)[CountOf(middle) - 1], ticks, id) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private OrderRecord[] ChunkAt(int chunk) => _chunks is null ? _first : _chunks[chunk];

    private int CountOf(int chunk) => _counts is null ? _firstCount : _counts[chunk];

    private void SetChunk(int chunk, OrderRecord[] items)
    {
        if (_chunks is null)
        {
            _first = items;
        }
        else
        {
            _chunks[chunk] = items;
        }
    }

    private void SetCount(int chunk, int count)
    {
        if (_counts is null)
        {
            _firstCount = count;
        }
        else
        {
            _counts[chunk] = count;
        }
    }

    private void InsertChunk(int at, OrderRecord[] items, int count)
    {
        if (_chunks is null || _counts is null)
        {
            _chunks = new OrderRecord[4][];
            _counts = new int[4];
            _chunks[0] = _first;
            _counts[0] = _firstCount;
            _first = [];
        }
        else if (_chunkCount == _chunks.Length)
        {
            Array.Resize(ref _chunks, _chunks.Length * 2);
            Array.Resize(ref _counts, _counts.Length * 2);
        }

        Array.Copy(_chunks, at, _chunks, at + 1, _chunkCount - at);
        Array.Copy(_counts, at, _counts, at + 1, _chunkCount - at);
        _chunks[at] = items;
        _counts[at] = count;
        _chunkCount++;
    }
}
