using Commerce.Redis.RateLimiting;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Redis.Tests.RateLimiting;

/// <summary>
/// Random interleavings of two hosts acquiring from one bucket while a shared clock moves: every decision and every
/// retry-after must be the one a single, exact token bucket would give, so the hosts together never admit more than
/// the limit plus the refill.
/// </summary>
public sealed class RedisTokenBucketProperties
{
    private sealed record Step(int Host, long AdvanceMs, int Permits);

    private sealed record Scenario(int Limit, int PerPeriod, Step[] Steps);

    [Fact]
    public void Two_hosts_decide_exactly_as_one_token_bucket()
    {
        using var first = TestRedis.Connect(RedisTopology.Standalone);
        using var second = TestRedis.Connect(RedisTopology.Standalone);
        var prefix = TestRedis.Prefix();

        var scenarios =
            from limit in Gen.Choose(1, 20)
            from perPeriod in Gen.Choose(1, 10)
            from steps in Gen.ListOf(
                from host in Gen.Choose(0, 1)
                from advance in Gen.Frequency((3, Gen.Constant(0L)), (2, Gen.Choose(1, 60_000).Select(static ms => (long)ms)))
                from permits in Gen.Choose(0, limit)
                select new Step(host, advance, permits), 30).Select(static s => s.ToArray())
            select new Scenario(limit, perPeriod, steps);

        var property = Prop.ForAll(Arb.From(scenarios), scenario =>
        {
            // A long period keeps the keys' time-to-live (real time) far beyond the test's, whatever the fake clock does.
            var period = TimeSpan.FromSeconds(100);
            var options = RedisTokenBucketRateLimiterTests.Options(scenario.Limit, scenario.PerPeriod, period);
            options.Name = Guid.NewGuid().ToString("N");
            var time = new FakeTimeProvider();
            using var one = new RedisTokenBucketRateLimiter(first.GetDatabase(), options, prefix, time);
            using var two = new RedisTokenBucketRateLimiter(second.GetDatabase(), options, prefix, time);
            var model = new TokenBucketModel(scenario.Limit, scenario.PerPeriod, period.Ticks / TimeSpan.TicksPerMicrosecond);
            var start = time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMicrosecond;
            long admitted = 0;

            foreach (var step in scenario.Steps)
            {
                time.Advance(TimeSpan.FromMilliseconds(step.AdvanceMs));
                var now = time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMicrosecond;
                using var lease = (step.Host == 0 ? one : two).AttemptAcquire(step.Permits);
                var (expected, retryAfterMicroseconds) = model.Take(now, step.Permits);
                Assert.Equal(expected, lease.IsAcquired);
                if (!expected)
                {
                    Assert.True(lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var retryAfter));
                    Assert.Equal(TimeSpan.FromMicroseconds(retryAfterMicroseconds), retryAfter);
                }
                else
                {
                    admitted += step.Permits;
                }

                var refill = (double)(now - start) * scenario.PerPeriod / model.PeriodMicroseconds;
                Assert.True(admitted <= scenario.Limit + refill);
            }
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(50), property);
    }

    /// <summary>The bucket the script keeps, in the same double arithmetic: state changes only when permits are taken.</summary>
    private sealed class TokenBucketModel(int limit, int perPeriod, long periodMicroseconds)
    {
        private double _tokens = limit;
        private long? _last;

        public long PeriodMicroseconds => periodMicroseconds;

        public (bool Acquired, long RetryAfterMicroseconds) Take(long now, int permits)
        {
            var tokens = _tokens;
            var last = _last ?? now;
            if (_last is null)
            {
                tokens = limit;
            }
            else if (now > last)
            {
                tokens = Math.Min(limit, tokens + ((double)(now - last) * perPeriod / periodMicroseconds));
                last = now;
            }

            var needed = Math.Max(permits, 1);
            if (tokens < needed)
            {
                return (false, (long)Math.Ceiling((needed - tokens) * periodMicroseconds / perPeriod));
            }

            if (permits > 0)
            {
                _tokens = tokens - permits;
                _last = last;
            }

            return (true, 0);
        }
    }
}
