using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.Redis.RateLimiting;

/// <summary>
/// Settings of a <see cref="RedisTokenBucketRateLimiter"/> or a <see cref="RedisPartitionedTokenBucketRateLimiter"/>:
/// a bucket of at most <see cref="TokenLimit"/> tokens, refilled continuously at <see cref="TokensPerPeriod"/> per
/// <see cref="ReplenishmentPeriod"/>, shared by every process that uses the same <see cref="Name"/> on the same Redis.
/// </summary>
public sealed class RedisTokenBucketRateLimiterOptions
{
    /// <summary>The bucket's name, part of its Redis key; limiters with the same name share one budget. Default <c>default</c>.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.:-]{1,100}$")]
    public string Name { get; set; } = "default";

    /// <summary>The most tokens the bucket holds: the largest burst admitted at once. Default 100.</summary>
    [Range(1, 1_000_000_000)]
    public int TokenLimit { get; set; } = 100;

    /// <summary>Tokens added per <see cref="ReplenishmentPeriod"/>, spread evenly over the period. Default 100.</summary>
    [Range(1, 1_000_000_000)]
    public int TokensPerPeriod { get; set; } = 100;

    /// <summary>The period over which <see cref="TokensPerPeriod"/> tokens are added. Default 1 second; at least 1 millisecond.</summary>
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many permits <see cref="System.Threading.RateLimiting.RateLimiter.AcquireAsync"/> callers of this process
    /// may have waiting for a refill at once; a caller beyond it is rejected at once. Default 0: no waiting, a
    /// rejection carries <see cref="System.Threading.RateLimiting.MetadataName.RetryAfter"/> instead.
    /// </summary>
    [Range(0, 1_000_000_000)]
    public int QueueLimit { get; set; }

    /// <summary>Whose clock refills the bucket. Default <see cref="RedisRateLimiterClock.RedisServer"/>.</summary>
    public RedisRateLimiterClock Clock { get; set; } = RedisRateLimiterClock.RedisServer;

    /// <summary>What an acquisition returns when Redis cannot be reached in time. Default <see cref="RedisUnavailableBehavior.FailClosed"/>.</summary>
    public RedisUnavailableBehavior WhenUnavailable { get; set; } = RedisUnavailableBehavior.FailClosed;

    /// <summary>The <see cref="System.Threading.RateLimiting.MetadataName.RetryAfter"/> of a rejection because Redis is unavailable. Default 1 second.</summary>
    public TimeSpan UnavailableRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Every broken rule, or null when the options are valid (DataAnnotations plus the time spans).</summary>
    internal string? Errors()
    {
        var result = new RedisTokenBucketRateLimiterOptionsValidator().Validate(null, this);
        var errors = result.Failed ? result.FailureMessage : null;
        if (ReplenishmentPeriod < TimeSpan.FromMilliseconds(1) || ReplenishmentPeriod > TimeSpan.FromDays(1))
        {
            errors += "ReplenishmentPeriod must be between 1 millisecond and 1 day. ";
        }

        if (UnavailableRetryAfter < TimeSpan.Zero || UnavailableRetryAfter > TimeSpan.FromHours(1))
        {
            errors += "UnavailableRetryAfter must be between zero and 1 hour. ";
        }

        return errors;
    }

    internal RedisTokenBucketRateLimiterOptions Snapshot() => (RedisTokenBucketRateLimiterOptions)MemberwiseClone();
}

/// <summary>Whose clock a Redis rate limiter refills its buckets by.</summary>
public enum RedisRateLimiterClock
{
    /// <summary>
    /// The Redis server's <c>TIME</c>, read inside the script: one clock for every host, so a host whose clock runs
    /// ahead cannot refill a shared bucket early, and one running behind cannot starve it. The default.
    /// </summary>
    RedisServer,

    /// <summary>
    /// The limiter's <see cref="System.TimeProvider"/>, sent with each call: for tests (a fake clock) and for hosts whose
    /// clocks are known to agree. A host behind the last writer's clock refills nothing until it catches up.
    /// </summary>
    TimeProvider,
}

/// <summary>What a Redis rate limiter does when Redis cannot be reached (connection lost, timeout, cluster down).</summary>
public enum RedisUnavailableBehavior
{
    /// <summary>
    /// Reject, with <see cref="RedisTokenBucketRateLimiterOptions.UnavailableRetryAfter"/> as the retry-after. The
    /// limiter exists to shed load in front of the database and the payment provider; admitting everything while it
    /// cannot count would remove that protection at the moment (a flash sale) it matters most. The default.
    /// </summary>
    FailClosed,

    /// <summary>
    /// Admit: availability first, for limits that are a courtesy rather than a protection. The lease says why in
    /// <see cref="System.Threading.RateLimiting.MetadataName.ReasonPhrase"/>.
    /// </summary>
    FailOpen,
}

/// <summary>Validates <see cref="RedisTokenBucketRateLimiterOptions"/> against its DataAnnotations, without reflection.</summary>
[OptionsValidator]
internal sealed partial class RedisTokenBucketRateLimiterOptionsValidator : IValidateOptions<RedisTokenBucketRateLimiterOptions>;
