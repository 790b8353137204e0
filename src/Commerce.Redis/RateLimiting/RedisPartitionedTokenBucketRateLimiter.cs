using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Commerce.Redis.RateLimiting;

/// <summary>
/// One Redis token bucket per partition key (for example per buyer id), all with the same settings, shared by every
/// process on the same Redis. Buckets live only in Redis and expire once full again, so a million buyers cost this
/// process nothing; each key's hash tag is the partition, which spreads buckets over a Redis Cluster's slots.
/// </summary>
public sealed class RedisPartitionedTokenBucketRateLimiter : PartitionedRateLimiter<string>
{
    private readonly TokenBucketAdmission _admission;
    private readonly string _keyStart;

    /// <summary>Creates a partitioned limiter.</summary>
    /// <param name="database">The Redis database (standalone or cluster).</param>
    /// <param name="options">The settings of every partition's bucket; copied.</param>
    /// <param name="keyPrefix">Prefix of the buckets' keys (see <see cref="RedisOptions.KeyPrefix"/>).</param>
    /// <param name="timeProvider">For waiting, idle time and, with <see cref="RedisRateLimiterClock.TimeProvider"/>, refills.</param>
    public RedisPartitionedTokenBucketRateLimiter(
        IDatabase database, RedisTokenBucketRateLimiterOptions options, string keyPrefix = "commerce:", TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _admission = new TokenBucketAdmission(database, options, timeProvider ?? TimeProvider.System);
        _keyStart = $"{keyPrefix}ratelimit:{_admission.Options.Name}:{{";
    }

    /// <summary>How many acquisitions found Redis unavailable and were answered by <see cref="RedisTokenBucketRateLimiterOptions.WhenUnavailable"/>.</summary>
    public long UnavailableCount => _admission.Counters.Unavailable;

    /// <summary>The Redis key of a partition's bucket: <c>{prefix}ratelimit:{name}:{{partition}}</c>.</summary>
    public RedisKey KeyOf(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return string.Concat(_keyStart, resource, "}");
    }

    /// <summary>
    /// Statistics of the whole limiter in this process, whatever <paramref name="resource"/>: lease totals over all
    /// partitions, and as <see cref="RateLimiterStatistics.CurrentAvailablePermits"/> what Redis reported at the last
    /// acquisition of any partition. Per-partition figures would cost memory per buyer.
    /// </summary>
    public override RateLimiterStatistics? GetStatistics(string resource) => _admission.Counters.Statistics(_admission.Options.TokenLimit);

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(string resource, int permitCount) =>
        _admission.Attempt([KeyOf(resource)], permitCount);

    /// <inheritdoc />
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(string resource, int permitCount, CancellationToken cancellationToken) =>
        _admission.AcquireAsync([KeyOf(resource)], permitCount, cancellationToken);

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
