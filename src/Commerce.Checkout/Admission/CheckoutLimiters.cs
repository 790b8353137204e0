using System.Threading.RateLimiting;

namespace Commerce.Checkout;

/// <summary>
/// The rate limiters admission asks before a checkout runs: any <see cref="RateLimiter"/> for everyone, any
/// <see cref="PartitionedRateLimiter{TResource}"/> keyed by buyer id for each buyer (a distributed one from
/// Commerce.Redis, or the in-process token buckets <see cref="FromOptions"/> builds).
/// </summary>
public sealed class CheckoutLimiters : IAsyncDisposable
{
    /// <summary>Creates the set; null limiters do not limit.</summary>
    public CheckoutLimiters(RateLimiter? global, PartitionedRateLimiter<string>? perBuyer)
    {
        Global = global;
        PerBuyer = perBuyer;
    }

    /// <summary>The limit on all checkouts of this process (or cluster, for a distributed limiter); null for none.</summary>
    public RateLimiter? Global { get; }

    /// <summary>The limit per buyer, partitioned by <see cref="BuyerId.Value"/>; null for none.</summary>
    public PartitionedRateLimiter<string>? PerBuyer { get; }

    /// <summary>No limits.</summary>
    public static CheckoutLimiters None { get; } = new(null, null);

    /// <summary>
    /// The in-process defaults: a token bucket of <see cref="CheckoutOptions.GlobalPermitsPerSecond"/> and one per buyer
    /// of <see cref="CheckoutOptions.BuyerPermitsPerSecond"/> (burst <see cref="CheckoutOptions.BuyerBurst"/>), each
    /// left out when its option is null. A limiter given explicitly replaces the one built from options.
    /// </summary>
    public static CheckoutLimiters FromOptions(CheckoutOptions options, RateLimiter? global = null, PartitionedRateLimiter<string>? perBuyer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var period = options.RateLimitPeriod;
        var periodsPerSecond = Math.Max(1.0, TimeSpan.FromSeconds(1) / period);
        global ??= options.GlobalPermitsPerSecond is { } rate
            ? new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = rate,
                TokensPerPeriod = Math.Max(1, (int)Math.Ceiling(rate / periodsPerSecond)),
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            })
            : null;
        if (perBuyer is null && options.BuyerPermitsPerSecond is { } buyerRate)
        {
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, options.BuyerBurst),
                TokensPerPeriod = Math.Max(1, (int)Math.Ceiling(buyerRate / periodsPerSecond)),
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            perBuyer = PartitionedRateLimiter.Create<string, string>(buyer => RateLimitPartition.GetTokenBucketLimiter(buyer, _ => bucket));
        }

        return new CheckoutLimiters(global, perBuyer);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Global is not null)
        {
            await Global.DisposeAsync().ConfigureAwait(false);
        }

        if (PerBuyer is not null)
        {
            await PerBuyer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
