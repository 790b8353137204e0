using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.Redis.Inventory;

/// <summary>Settings of the Redis inventory store.</summary>
public sealed class RedisInventoryOptions
{
    /// <summary>
    /// Prepended to every key the store writes (after it comes <c>inv:{shard}:</c>), so one Redis can serve several
    /// environments or tests. No braces: the hash tag must be the store's own. Default <c>commerce:</c>.
    /// </summary>
    [Required]
    [RegularExpression("^[^{}]*$")]
    public string KeyPrefix { get; set; } = "commerce:";

    /// <summary>
    /// How many hash-tagged shards the keys are spread over on a Redis Cluster; 0 picks 1 on a standalone Redis and 64
    /// on a cluster. A SKU's stock, ledger and stock events live in the SKU's shard; a reservation lives in its id's
    /// shard. Fixed for the life of the data: changing it hides what was written before. Default 0.
    /// </summary>
    [Range(0, 1024)]
    public int Shards { get; set; }

    /// <summary>Whether changes write events to the outbox for a relay to publish. Default true.</summary>
    public bool RecordEvents { get; set; } = true;

    /// <summary>
    /// How long finished reservations and stock-change idempotency keys are kept (so replays still return the first
    /// outcome) before the sweeper deletes them. The movement ledger is kept. Default 24 hours.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// On a cluster, how long a reservation spanning shards may stay half-done (its caller crashed between steps) before
    /// the sweeper rolls it back, and how long a copy of the same request waits for it. Server time. Default 10 seconds.
    /// </summary>
    public TimeSpan PendingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// On a cluster, how long a decided commit, release or expiry may stay unapplied in some shard (its caller crashed)
    /// before the sweeper applies it. Server time. Default 5 seconds.
    /// </summary>
    public TimeSpan SettleGrace { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Validates <see cref="RedisInventoryOptions"/> without reflection.</summary>
[OptionsValidator]
internal sealed partial class RedisInventoryOptionsValidator : IValidateOptions<RedisInventoryOptions>;
