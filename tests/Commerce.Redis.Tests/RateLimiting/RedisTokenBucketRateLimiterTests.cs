using System.Diagnostics;
using System.Threading.RateLimiting;
using Commerce.Redis.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Commerce.Redis.Tests.RateLimiting;

/// <summary>The Redis token bucket against a real Redis: limits, refill, several hosts, partitions, waiting.</summary>
public abstract class RedisTokenBucketRateLimiterTests(RedisTopology topology) : IDisposable
{
    private readonly List<IDisposable> _disposables = [];

    protected RedisTopology Topology { get; } = topology;

    [Fact]
    public async Task Admits_up_to_the_token_limit_then_rejects_with_the_time_until_the_next_token()
    {
        var time = new FakeTimeProvider();
        using var limiter = new RedisTokenBucketRateLimiter(Host(), Options(limit: 5, perPeriod: 1, period: TimeSpan.FromSeconds(1)), Prefix(), time);

        for (var i = 0; i < 5; i++)
        {
            using var lease = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
            Assert.True(lease.IsAcquired);
        }

        using var rejected = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
        Assert.False(rejected.IsAcquired);
        Assert.True(rejected.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        Assert.DoesNotContain(MetadataName.ReasonPhrase.Name, rejected.MetadataNames);

        var statistics = limiter.GetStatistics();
        Assert.Equal(5, statistics.TotalSuccessfulLeases);
        Assert.Equal(1, statistics.TotalFailedLeases);
        Assert.Equal(0, statistics.CurrentAvailablePermits);
    }

    [Fact]
    public void Attempt_acquire_takes_several_permits_at_once_and_zero_only_checks()
    {
        var time = new FakeTimeProvider();
        using var limiter = new RedisTokenBucketRateLimiter(Host(), Options(limit: 10, perPeriod: 10, period: TimeSpan.FromSeconds(10)), Prefix(), time);

        Assert.True(limiter.AttemptAcquire(7).IsAcquired);
        Assert.True(limiter.AttemptAcquire(0).IsAcquired);
        Assert.False(limiter.AttemptAcquire(4).IsAcquired);
        Assert.True(limiter.AttemptAcquire(3).IsAcquired);
        using var check = limiter.AttemptAcquire(0);
        Assert.False(check.IsAcquired);
        Assert.True(check.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        Assert.Throws<ArgumentOutOfRangeException>(() => limiter.AttemptAcquire(11));
        Assert.Throws<ArgumentOutOfRangeException>(() => limiter.AttemptAcquire(-1));
    }

    [Fact]
    public async Task Refills_continuously_with_time_up_to_the_limit()
    {
        var time = new FakeTimeProvider();
        var options = Options(limit: 10, perPeriod: 10, period: TimeSpan.FromSeconds(100));
        using var limiter = new RedisTokenBucketRateLimiter(Host(), options, Prefix(), time);
        var cancellationToken = TestContext.Current.CancellationToken;

        Assert.True((await limiter.AcquireAsync(10, cancellationToken)).IsAcquired);
        Assert.False((await limiter.AcquireAsync(1, cancellationToken)).IsAcquired);

        time.Advance(TimeSpan.FromSeconds(35)); // 3.5 tokens
        Assert.True((await limiter.AcquireAsync(3, cancellationToken)).IsAcquired);
        using var rejected = await limiter.AcquireAsync(1, cancellationToken);
        Assert.False(rejected.IsAcquired);
        Assert.True(rejected.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(5), retryAfter); // half a token at 0.1 token/s

        time.Advance(TimeSpan.FromHours(1)); // far more than the limit
        Assert.True((await limiter.AcquireAsync(10, cancellationToken)).IsAcquired);
        Assert.False((await limiter.AcquireAsync(1, cancellationToken)).IsAcquired);
    }

    [Fact]
    public async Task Two_hosts_never_admit_more_than_the_bucket_holds()
    {
        // A frozen clock: no refill, so exactly the limit may be admitted, however the two hosts' calls interleave.
        var time = new FakeTimeProvider();
        var options = Options(limit: 100, perPeriod: 1, period: TimeSpan.FromHours(1));
        var prefix = Prefix();
        using var first = new RedisTokenBucketRateLimiter(Host(), options, prefix, time);
        using var second = new RedisTokenBucketRateLimiter(Host(), options, prefix, time);

        var admitted = await HammerAsync([first, second], attemptsPerWorker: 100, workersPerLimiter: 8);

        Assert.Equal(100, admitted);
        Assert.Equal(100, first.GetStatistics().TotalSuccessfulLeases + second.GetStatistics().TotalSuccessfulLeases);
        Assert.Equal(1600 - 100, first.GetStatistics().TotalFailedLeases + second.GetStatistics().TotalFailedLeases);
    }

    [Fact]
    public async Task Two_hosts_on_the_server_clock_admit_at_most_the_burst_plus_the_refill()
    {
        var options = Options(limit: 50, perPeriod: 20, period: TimeSpan.FromSeconds(1));
        options.Clock = RedisRateLimiterClock.RedisServer;
        var prefix = Prefix();
        using var first = new RedisTokenBucketRateLimiter(Host(), options, prefix);
        using var second = new RedisTokenBucketRateLimiter(Host(), options, prefix);

        var started = Stopwatch.GetTimestamp();
        var admitted = await HammerAsync([first, second], attemptsPerWorker: 150, workersPerLimiter: 4, pause: TimeSpan.FromMilliseconds(1));
        var elapsed = Stopwatch.GetElapsedTime(started);

        // The bucket starts full: the whole burst is admitted, and afterwards no more than the refill over the run.
        Assert.InRange(admitted, 50, 50 + (int)Math.Ceiling(20 * (elapsed.TotalSeconds + 0.05)));
    }

    [Fact]
    public async Task Partitions_have_their_own_buckets()
    {
        var time = new FakeTimeProvider();
        var options = Options(limit: 3, perPeriod: 1, period: TimeSpan.FromHours(1));
        var prefix = Prefix();
        using var first = new RedisPartitionedTokenBucketRateLimiter(Host(), options, prefix, time);
        using var second = new RedisPartitionedTokenBucketRateLimiter(Host(), options, prefix, time);
        var cancellationToken = TestContext.Current.CancellationToken;

        var buyers = Enumerable.Range(0, 20).Select(i => $"buyer-{i}").ToArray();
        var admitted = new Dictionary<string, int>();
        foreach (var buyer in buyers)
        {
            var count = 0;
            for (var i = 0; i < 5; i++)
            {
                using var lease = await (i % 2 == 0 ? first : second).AcquireAsync(buyer, 1, cancellationToken);
                count += lease.IsAcquired ? 1 : 0;
            }

            admitted[buyer] = count;
        }

        Assert.All(admitted.Values, count => Assert.Equal(3, count));
        Assert.Equal("ratelimit:options:{buyer-1}", ((string)first.KeyOf("buyer-1")!)[prefix.Length..]);
        if (Topology == RedisTopology.Cluster)
        {
            // Buckets spread over the cluster rather than piling onto one slot.
            var slots = buyers.Select(b => Connection().HashSlot(first.KeyOf(b))).Distinct().Count();
            Assert.True(slots > 1);
        }
    }

    [Fact]
    public async Task Waiting_callers_get_a_permit_once_the_bucket_refills()
    {
        var time = new FakeTimeProvider();
        var options = Options(limit: 1, perPeriod: 1, period: TimeSpan.FromMinutes(10));
        options.QueueLimit = 1;
        using var limiter = new RedisTokenBucketRateLimiter(Host(), options, Prefix(), time);
        var cancellationToken = TestContext.Current.CancellationToken;

        Assert.True((await limiter.AcquireAsync(1, cancellationToken)).IsAcquired);
        var waiting = limiter.AcquireAsync(1, cancellationToken).AsTask();
        await WaitUntilAsync(() => limiter.GetStatistics().CurrentQueuedCount == 1);
        Assert.Null(limiter.IdleDuration);

        // The queue is full: a second waiter is rejected at once.
        using (var overflow = await limiter.AcquireAsync(1, cancellationToken))
        {
            Assert.False(overflow.IsAcquired);
        }

        while (!waiting.IsCompleted)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(waiting, Task.Delay(20, cancellationToken));
        }

        Assert.True((await waiting).IsAcquired);
        Assert.Equal(0, limiter.GetStatistics().CurrentQueuedCount);
    }

    [Fact]
    public async Task Idle_duration_counts_from_the_last_acquisition()
    {
        var time = new FakeTimeProvider();
        using var limiter = new RedisTokenBucketRateLimiter(Host(), Options(limit: 5, perPeriod: 5, period: TimeSpan.FromMinutes(1)), Prefix(), time);
        await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromSeconds(42));
        Assert.Equal(TimeSpan.FromSeconds(42), limiter.IdleDuration);
    }

    [Fact]
    public async Task A_disposed_limiter_refuses_to_acquire()
    {
        var limiter = new RedisTokenBucketRateLimiter(Host(), Options(limit: 5, perPeriod: 5, period: TimeSpan.FromMinutes(1)), Prefix());
        await limiter.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => limiter.AttemptAcquire(1));
    }

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    internal static RedisTokenBucketRateLimiterOptions Options(int limit, int perPeriod, TimeSpan period) => new()
    {
        Name = "options",
        TokenLimit = limit,
        TokensPerPeriod = perPeriod,
        ReplenishmentPeriod = period,
        Clock = RedisRateLimiterClock.TimeProvider,
    };

    internal static async Task<int> HammerAsync(IReadOnlyList<RateLimiter> limiters, int attemptsPerWorker, int workersPerLimiter, TimeSpan pause = default)
    {
        var admitted = 0;
        var workers = limiters.SelectMany(limiter => Enumerable.Range(0, workersPerLimiter).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < attemptsPerWorker; i++)
            {
                using var lease = await limiter.AcquireAsync(1);
                if (lease.IsAcquired)
                {
                    Interlocked.Increment(ref admitted);
                }

                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause);
                }
            }
        })));
        await Task.WhenAll(workers);
        return admitted;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private IDatabase Host() => Connection().GetDatabase();

    private ConnectionMultiplexer Connection()
    {
        var connection = TestRedis.Connect(Topology);
        _disposables.Add(connection);
        return connection;
    }

    private static string Prefix() => TestRedis.Prefix();
}

public sealed class StandaloneRedisTokenBucketRateLimiterTests() : RedisTokenBucketRateLimiterTests(RedisTopology.Standalone);

public sealed class ClusterRedisTokenBucketRateLimiterTests() : RedisTokenBucketRateLimiterTests(RedisTopology.Cluster);
