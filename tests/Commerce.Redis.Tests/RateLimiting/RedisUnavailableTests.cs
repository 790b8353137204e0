using System.Threading.RateLimiting;
using Commerce.Redis.RateLimiting;

namespace Commerce.Redis.Tests.RateLimiting;

/// <summary>What the limiters answer when Redis cannot be reached: no server needed, a port nothing listens on.</summary>
public sealed class RedisUnavailableTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task By_default_the_limiter_fails_closed_with_a_retry_after_and_a_reason(bool failFast)
    {
        using var nowhere = TestRedis.ConnectToNothing(failFast);
        var options = new RedisTokenBucketRateLimiterOptions { UnavailableRetryAfter = TimeSpan.FromSeconds(3) };
        Assert.Equal(RedisUnavailableBehavior.FailClosed, options.WhenUnavailable);
        using var limiter = new RedisTokenBucketRateLimiter(nowhere.GetDatabase(), options);

        using var lease = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
        using var attempted = limiter.AttemptAcquire(1);

        foreach (var rejected in new[] { lease, attempted })
        {
            Assert.False(rejected.IsAcquired);
            Assert.True(rejected.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
            Assert.Equal(TimeSpan.FromSeconds(3), retryAfter);
            Assert.True(rejected.TryGetMetadata(MetadataName.ReasonPhrase, out var reason));
            Assert.Contains("unavailable", reason, StringComparison.Ordinal);
        }

        Assert.Equal(2, limiter.UnavailableCount);
        Assert.Equal(2, limiter.GetStatistics().TotalFailedLeases);
    }

    [Fact]
    public async Task A_fail_open_limiter_admits_and_says_why()
    {
        using var nowhere = TestRedis.ConnectToNothing(failFast: true);
        var options = new RedisTokenBucketRateLimiterOptions { WhenUnavailable = RedisUnavailableBehavior.FailOpen };
        using var limiter = new RedisPartitionedTokenBucketRateLimiter(nowhere.GetDatabase(), options);

        using var lease = await limiter.AcquireAsync("buyer-1", 1, TestContext.Current.CancellationToken);

        Assert.True(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.ReasonPhrase, out var reason));
        Assert.Contains("fails open", reason, StringComparison.Ordinal);
        Assert.Equal(1, limiter.UnavailableCount);
    }

    [Fact]
    public async Task A_waiting_caller_does_not_wait_for_an_unavailable_redis()
    {
        using var nowhere = TestRedis.ConnectToNothing(failFast: true);
        var options = new RedisTokenBucketRateLimiterOptions { QueueLimit = 10 };
        using var limiter = new RedisTokenBucketRateLimiter(nowhere.GetDatabase(), options);

        using var lease = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);

        Assert.False(lease.IsAcquired);
        Assert.Equal(0, limiter.GetStatistics().CurrentQueuedCount);
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        using var nowhere = TestRedis.ConnectToNothing(failFast: true);
        Assert.Throws<ArgumentException>(() => new RedisTokenBucketRateLimiter(nowhere.GetDatabase(), new() { TokenLimit = 0 }));
        Assert.Throws<ArgumentException>(() => new RedisTokenBucketRateLimiter(nowhere.GetDatabase(), new() { ReplenishmentPeriod = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new RedisTokenBucketRateLimiter(nowhere.GetDatabase(), new() { Name = "has{braces}" }));
    }
}
