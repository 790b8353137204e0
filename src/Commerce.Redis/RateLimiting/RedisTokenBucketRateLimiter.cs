using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Commerce.Redis.RateLimiting;

/// <summary>
/// A token bucket shared by every process that uses the same Redis and <see cref="RedisTokenBucketRateLimiterOptions.Name"/>:
/// for example checkout admission across several hosts. Each acquisition is one Lua script (one round trip) that
/// refills and takes atomically; a rejection carries <see cref="MetadataName.RetryAfter"/>. The key carries a hash
/// tag, so it works on Redis Cluster. Prefer <see cref="RateLimiter.AcquireAsync"/>: <see cref="RateLimiter.AttemptAcquire"/>
/// blocks the calling thread for the round trip.
/// </summary>
public sealed class RedisTokenBucketRateLimiter : RateLimiter
{
    private readonly TokenBucketAdmission _admission;
    private readonly RedisKey[] _key;

    /// <summary>Creates a limiter.</summary>
    /// <param name="database">The Redis database (standalone or cluster).</param>
    /// <param name="options">The bucket; copied, so later changes have no effect.</param>
    /// <param name="keyPrefix">Prefix of the bucket's key (see <see cref="RedisOptions.KeyPrefix"/>).</param>
    /// <param name="timeProvider">For waiting, idle time and, with <see cref="RedisRateLimiterClock.TimeProvider"/>, refills.</param>
    public RedisTokenBucketRateLimiter(IDatabase database, RedisTokenBucketRateLimiterOptions options, string keyPrefix = "commerce:", TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _admission = new TokenBucketAdmission(database, options, timeProvider ?? TimeProvider.System);
        Key = BucketKey(keyPrefix, _admission.Options.Name);
        _key = [Key];
    }

    /// <summary>The bucket's Redis key: <c>{prefix}ratelimit:{{name}}</c>.</summary>
    public RedisKey Key { get; }

    /// <summary>How many acquisitions found Redis unavailable and were answered by <see cref="RedisTokenBucketRateLimiterOptions.WhenUnavailable"/>.</summary>
    public long UnavailableCount => _admission.Counters.Unavailable;

    /// <inheritdoc />
    public override TimeSpan? IdleDuration => _admission.Counters.IdleDuration;

    /// <summary>
    /// This process's statistics. <see cref="RateLimiterStatistics.CurrentAvailablePermits"/> is what Redis reported
    /// at this process's last acquisition (other hosts may have taken tokens since), or the token limit before any.
    /// </summary>
    public override RateLimiterStatistics GetStatistics() => _admission.Counters.Statistics(_admission.Options.TokenLimit);

    internal static RedisKey BucketKey(string keyPrefix, string name) => $"{keyPrefix}ratelimit:{{{name}}}";

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => _admission.Attempt(_key, permitCount);

    /// <inheritdoc />
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        _admission.AcquireAsync(_key, permitCount, cancellationToken);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _admission.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override ValueTask DisposeAsyncCore()
    {
        _admission.Dispose();
        return base.DisposeAsyncCore();
    }
}
