using StackExchange.Redis;

namespace Commerce.Redis.RateLimiting;

/// <summary>The outcome of one trip to a bucket.</summary>
/// <param name="Acquired">Whether the permits were granted.</param>
/// <param name="Remaining">Whole tokens left in the bucket after the call.</param>
/// <param name="RetryAfter">When rejected, how long until the bucket holds enough tokens.</param>
/// <param name="Unavailable">Whether Redis could not be reached, so the outcome comes from the configured behaviour.</param>
internal readonly record struct BucketResult(bool Acquired, long Remaining, TimeSpan RetryAfter, bool Unavailable);

/// <summary>
/// The token bucket on Redis: one Lua script per acquisition, so that reading the bucket, refilling it and taking
/// tokens happen as one step for every host. State is a hash (<c>t</c> tokens, <c>ts</c> last refill in
/// microseconds) that expires once it would be full again, since a missing bucket reads as full.
/// </summary>
internal sealed class RedisTokenBucket
{
    // Refill is continuous (rate = per period / period), so a bucket that was not written on a rejection reads the
    // same later as one that was: rejections, the bulk of a flash sale's traffic, write nothing. 'now' behind the last
    // writer's time (another host's clock, a failed-over server) refills nothing and never moves time back.
    internal const string Script = """
        local capacity = tonumber(ARGV[1])
        local per_period = tonumber(ARGV[2])
        local period = tonumber(ARGV[3])
        local permits = tonumber(ARGV[4])
        local now = tonumber(ARGV[5])
        if not now then
          local t = redis.call('TIME')
          now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        end
        local state = redis.call('HMGET', KEYS[1], 't', 'ts')
        local tokens = tonumber(state[1])
        local last = tonumber(state[2])
        if tokens == nil or last == nil then
          tokens = capacity
          last = now
        elseif now > last then
          tokens = math.min(capacity, tokens + (now - last) * per_period / period)
          last = now
        end
        local needed = permits
        if needed == 0 then needed = 1 end
        if tokens < needed then
          return {0, math.floor(tokens), math.ceil((needed - tokens) * period / per_period)}
        end
        if permits > 0 then
          tokens = tokens - permits
          redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'ts', string.format('%.0f', last))
          redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * period / per_period / 1000) + 1)
        end
        return {1, math.floor(tokens), 0}
        """;

    private readonly IDatabase _database;
    private readonly TimeProvider _timeProvider;
    private readonly bool _serverClock;
    private readonly RedisValue _capacity;
    private readonly RedisValue _perPeriod;
    private readonly RedisValue _periodMicroseconds;
    private readonly RedisValue[] _onePermitServerClock;

    public RedisTokenBucket(IDatabase database, RedisTokenBucketRateLimiterOptions options, TimeProvider timeProvider)
    {
        _database = database;
        _timeProvider = timeProvider;
        Options = options;
        _serverClock = options.Clock == RedisRateLimiterClock.RedisServer;
        _capacity = options.TokenLimit;
        _perPeriod = options.TokensPerPeriod;
        _periodMicroseconds = options.ReplenishmentPeriod.Ticks / TimeSpan.TicksPerMicrosecond;

        // The common call (one permit, server clock) reuses one argument array: the client only reads it.
        _onePermitServerClock = [_capacity, _perPeriod, _periodMicroseconds, 1, RedisValue.EmptyString];
    }

    public RedisTokenBucketRateLimiterOptions Options { get; }

    public BucketResult Take(RedisKey[] keys, int permits)
    {
        try
        {
            return Parse(_database.ScriptEvaluate(Script, keys, Arguments(permits)));
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            return Unavailable();
        }
    }

    public async ValueTask<BucketResult> TakeAsync(RedisKey[] keys, int permits)
    {
        try
        {
            return Parse(await _database.ScriptEvaluateAsync(Script, keys, Arguments(permits)).ConfigureAwait(false));
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            return Unavailable();
        }
    }

    private RedisValue[] Arguments(int permits)
    {
        if (_serverClock)
        {
            return permits == 1 ? _onePermitServerClock : [_capacity, _perPeriod, _periodMicroseconds, permits, RedisValue.EmptyString];
        }

        var now = _timeProvider.GetUtcNow().UtcTicks / TimeSpan.TicksPerMicrosecond;
        return [_capacity, _perPeriod, _periodMicroseconds, permits, now];
    }

    private static BucketResult Parse(RedisResult result)
    {
        var acquired = (long)result[0] == 1;
        var remaining = (long)result[1];
        var retryAfter = TimeSpan.FromMicroseconds((long)result[2]);
        return new BucketResult(acquired, remaining, retryAfter, Unavailable: false);
    }

    private BucketResult Unavailable() => Options.WhenUnavailable == RedisUnavailableBehavior.FailOpen
        ? new BucketResult(Acquired: true, Remaining: 0, TimeSpan.Zero, Unavailable: true)
        : new BucketResult(Acquired: false, Remaining: 0, Options.UnavailableRetryAfter, Unavailable: true);
}
