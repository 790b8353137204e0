using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Commerce.Redis.RateLimiting;

/// <summary>
/// What both Redis limiters do with a bucket: argument checks, one script call per attempt, optional waiting for a
/// refill within <see cref="RedisTokenBucketRateLimiterOptions.QueueLimit"/>, statistics and disposal.
/// </summary>
internal sealed class TokenBucketAdmission : IDisposable
{
    private readonly RedisTokenBucket _bucket;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _disposed = new();

    public TokenBucketAdmission(IDatabase database, RedisTokenBucketRateLimiterOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var snapshot = options.Snapshot();
        if (snapshot.Errors() is { } errors)
        {
            throw new ArgumentException(errors, nameof(options));
        }

        _timeProvider = timeProvider;
        _bucket = new RedisTokenBucket(database, snapshot, timeProvider);
        Counters = new RateLimiterCounters(timeProvider);
    }

    public RedisTokenBucketRateLimiterOptions Options => _bucket.Options;

    public RateLimiterCounters Counters { get; }

    public RateLimitLease Attempt(RedisKey[] keys, int permits)
    {
        Check(permits);
        return Counters.Record(_bucket.Take(keys, permits));
    }

    public async ValueTask<RateLimitLease> AcquireAsync(RedisKey[] keys, int permits, CancellationToken cancellationToken)
    {
        Check(permits);
        cancellationToken.ThrowIfCancellationRequested();
        var result = await _bucket.TakeAsync(keys, permits).ConfigureAwait(false);
        if (result.Acquired || result.Unavailable || permits == 0 || !Counters.TryEnqueue(permits, Options.QueueLimit))
        {
            return Counters.Record(result);
        }

        // Wait locally for the refill Redis promised, then try again. Hosts do not queue for each other: another host
        // may take the tokens first, in which case this one waits for the next refill.
        try
        {
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
            while (true)
            {
                try
                {
                    await Task.Delay(result.RetryAfter, _timeProvider, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_disposed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    return Counters.RecordRejection(result.RetryAfter);
                }

                result = await _bucket.TakeAsync(keys, permits).ConfigureAwait(false);
                if (result.Acquired || result.Unavailable)
                {
                    return Counters.Record(result);
                }
            }
        }
        finally
        {
            Counters.Dequeue(permits);
        }
    }

    public void Dispose()
    {
        // Cancelling wakes the waiters, which answer with a rejection; the source is not disposed, so a racing caller
        // still reads IsCancellationRequested safely.
        _disposed.Cancel();
    }

    private void Check(int permits)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (permits < 0 || permits > Options.TokenLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(permits), permits, $"Permits must be between 0 and the token limit ({Options.TokenLimit}).");
        }
    }
}
