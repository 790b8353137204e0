using System.Threading.RateLimiting;

namespace Commerce.Redis.RateLimiting;

/// <summary>
/// A lease from a Redis rate limiter. Nothing is returned to the bucket on dispose: tokens refill with time, as in
/// <see cref="TokenBucketRateLimiter"/>. Granted leases are shared instances, so the admitted path allocates none.
/// </summary>
internal sealed class RedisRateLimitLease : RateLimitLease
{
    internal const string UnavailableRejected = "Redis is unavailable; the limiter fails closed.";
    internal const string UnavailableAdmitted = "Redis is unavailable; the limiter fails open.";

    public static readonly RedisRateLimitLease Granted = new(true, null, null);
    public static readonly RedisRateLimitLease GrantedWhileUnavailable = new(true, null, UnavailableAdmitted);

    private readonly TimeSpan? _retryAfter;
    private readonly string? _reason;

    private RedisRateLimitLease(bool isAcquired, TimeSpan? retryAfter, string? reason)
    {
        IsAcquired = isAcquired;
        _retryAfter = retryAfter;
        _reason = reason;
    }

    public override bool IsAcquired { get; }

    public override IEnumerable<string> MetadataNames
    {
        get
        {
            if (_retryAfter is not null)
            {
                yield return MetadataName.RetryAfter.Name;
            }

            if (_reason is not null)
            {
                yield return MetadataName.ReasonPhrase.Name;
            }
        }
    }

    public static RedisRateLimitLease Rejected(TimeSpan retryAfter, string? reason = null) => new(false, retryAfter, reason);

    internal static RedisRateLimitLease From(BucketResult result) => result switch
    {
        { Acquired: true, Unavailable: false } => Granted,
        { Acquired: true, Unavailable: true } => GrantedWhileUnavailable,
        { Unavailable: true } => Rejected(result.RetryAfter, UnavailableRejected),
        _ => Rejected(result.RetryAfter),
    };

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (_retryAfter is { } retryAfter && metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = retryAfter;
            return true;
        }

        if (_reason is not null && metadataName == MetadataName.ReasonPhrase.Name)
        {
            metadata = _reason;
            return true;
        }

        metadata = null;
        return false;
    }
}
