using System.Threading.RateLimiting;

namespace Commerce.Redis.RateLimiting;

/// <summary>This process's view of a Redis limiter: lease totals, the last remaining count Redis reported, waiters, last use.</summary>
internal sealed class RateLimiterCounters(TimeProvider timeProvider)
{
    private long _successful;
    private long _failed;
    private long _unavailable;
    private long _available = -1;
    private long _queued;
    private long _lastUsed = timeProvider.GetTimestamp();

    public long Unavailable => Interlocked.Read(ref _unavailable);

    public long Queued => Interlocked.Read(ref _queued);

    public RateLimitLease Record(BucketResult result)
    {
        Volatile.Write(ref _lastUsed, timeProvider.GetTimestamp());
        if (result.Unavailable)
        {
            Interlocked.Increment(ref _unavailable);
        }
        else
        {
            Volatile.Write(ref _available, result.Remaining);
        }

        Interlocked.Increment(ref result.Acquired ? ref _successful : ref _failed);
        return RedisRateLimitLease.From(result);
    }

    public RateLimitLease RecordRejection(TimeSpan retryAfter)
    {
        Interlocked.Increment(ref _failed);
        return RedisRateLimitLease.Rejected(retryAfter);
    }

    /// <summary>Reserves room for waiting permits, or says there is none.</summary>
    public bool TryEnqueue(int permits, int queueLimit)
    {
        if (Interlocked.Add(ref _queued, permits) <= queueLimit)
        {
            return true;
        }

        Interlocked.Add(ref _queued, -permits);
        return false;
    }

    public void Dequeue(int permits) => Interlocked.Add(ref _queued, -permits);

    public TimeSpan? IdleDuration =>
        Interlocked.Read(ref _queued) > 0 ? null : timeProvider.GetElapsedTime(Volatile.Read(ref _lastUsed));

    public RateLimiterStatistics Statistics(long unknownAvailable) => new()
    {
        CurrentAvailablePermits = Volatile.Read(ref _available) is var available and >= 0 ? available : unknownAvailable,
        CurrentQueuedCount = Interlocked.Read(ref _queued),
        TotalSuccessfulLeases = Interlocked.Read(ref _successful),
        TotalFailedLeases = Interlocked.Read(ref _failed),
    };
}
