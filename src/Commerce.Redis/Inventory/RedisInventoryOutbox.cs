using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Commerce.Events;
using Commerce.Inventory;
using StackExchange.Redis;

namespace Commerce.Redis.Inventory;

/// <summary>
/// The outbox of the Redis inventory store: one per shard, written by the same scripts that change the state. A claim
/// takes messages in position order and leases them; a message waiting for its retry holds back the ones behind it in
/// its shard, so events keep their order within a shard (and so within a stream: a SKU's stock events share the SKU's
/// shard, a reservation's events its id's). Across shards there is no order. Positions are <c>sequence * 1024 + shard</c>.
/// </summary>
internal sealed class RedisInventoryOutbox(IDatabase db, RedisKey[][] shardKeys, TimeProvider timeProvider) : IOutboxStore
{
    private const int MaxShards = 1024;
    private int _next;

    public async ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken)
    {
        var messages = new List<OutboxMessage>();
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)shardKeys.Length);
        for (var i = 0; i < shardKeys.Length && messages.Count < maxCount; i++)
        {
            var shard = (start + i) % shardKeys.Length;
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(
                InventoryScripts.ClaimOutbox, shardKeys[shard], [now, (long)lease.TotalMilliseconds, maxCount - messages.Count]).ConfigureAwait(false))!;
            if (result.Length == 0)
            {
                continue;
            }

            var epoch = await EpochAsync(shard).ConfigureAwait(false);
            for (var m = 0; m < result.Length; m += 3)
            {
                var position = ((long)result[m] * MaxShards) + shard;
                messages.Add(new OutboxMessage(position, ToEnvelope(epoch, position, (string)result[m + 2]!), (int)result[m + 1]));
            }
        }

        return messages;
    }

    public async ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var group in messages.GroupBy(static m => (int)(m.Position % MaxShards)))
        {
            var positions = group.Select(static m => (RedisValue)(m.Position / MaxShards)).ToArray();
            await db.ScriptEvaluateAsync(InventoryScripts.PublishedOutbox, shardKeys[group.Key], positions).ConfigureAwait(false);
        }
    }

    public async ValueTask MarkFailedAsync(OutboxMessage message, string error, TimeSpan retryAfter, bool deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var retryAt = (timeProvider.GetUtcNow() + retryAfter).ToUnixTimeMilliseconds();
        await db.ScriptEvaluateAsync(InventoryScripts.FailedOutbox, shardKeys[(int)(message.Position % MaxShards)],
            [message.Position / MaxShards, retryAt, message.Attempts + 1, deadLetter ? "1" : "0", error]).ConfigureAwait(false);
    }

    /// <summary>
    /// A random number kept per shard and drawn again if Redis loses the shard's data, so event ids (epoch, position)
    /// never repeat even when positions start over.
    /// </summary>
    private async Task<long> EpochAsync(int shard)
    {
        var key = shardKeys[shard][0].Append("oepoch");
        var candidate = BitConverter.ToInt64(Guid.NewGuid().ToByteArray());
        await db.StringSetAsync(key, candidate, when: When.NotExists).ConfigureAwait(false);
        return (long)await db.StringGetAsync(key).ConfigureAwait(false);
    }

    private static EventEnvelope ToEnvelope(long epoch, long position, string entry)
    {
        Span<byte> id = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(id, epoch);
        BinaryPrimitives.WriteInt64BigEndian(id[8..], position);
        var eventId = new Guid(id, bigEndian: true);
        var parts = entry.Split(' ');
        var at = RedisInventoryStore.FromMicros(long.Parse(parts[1], CultureInfo.InvariantCulture));
        if (parts[0] == "r")
        {
            // r at id state expires (sku loc qty)*
            var state = (ReservationState)int.Parse(parts[3], CultureInfo.InvariantCulture);
            var lines = new ReservationEventLine[(parts.Length - 5) / 3];
            for (var i = 0; i < lines.Length; i++)
            {
                var o = 5 + (3 * i);
                lines[i] = new ReservationEventLine(parts[o], parts[o + 1], long.Parse(parts[o + 2], CultureInfo.InvariantCulture));
            }

            var payload = new ReservationEvent(parts[2], StateName(state), lines, RedisInventoryStore.FromMicros(long.Parse(parts[4], CultureInfo.InvariantCulture)));
            return new EventEnvelope(eventId, EventType(state), parts[2], at,
                JsonSerializer.SerializeToUtf8Bytes(payload, InventoryJsonContext.Default.ReservationEvent));
        }

        // s at sku@loc kind delta on rs key reason...
        var stock = entry.Split(' ', 9);
        var separator = stock[2].LastIndexOf('@');
        var adjusted = new StockAdjustedEvent(
            stock[2][..separator], stock[2][(separator + 1)..], stock[3],
            long.Parse(stock[4], CultureInfo.InvariantCulture), long.Parse(stock[5], CultureInfo.InvariantCulture),
            long.Parse(stock[6], CultureInfo.InvariantCulture), stock[8], stock[7]);
        return new EventEnvelope(eventId, InventoryEventTypes.StockAdjusted, stock[2], at,
            JsonSerializer.SerializeToUtf8Bytes(adjusted, InventoryJsonContext.Default.StockAdjustedEvent));
    }

    private static string StateName(ReservationState state) => state switch
    {
        ReservationState.Active => "active",
        ReservationState.Committed => "committed",
        ReservationState.Released => "released",
        _ => "expired",
    };

    private static string EventType(ReservationState state) => state switch
    {
        ReservationState.Active => InventoryEventTypes.Reserved,
        ReservationState.Committed => InventoryEventTypes.Committed,
        ReservationState.Released => InventoryEventTypes.Released,
        _ => InventoryEventTypes.Expired,
    };
}
