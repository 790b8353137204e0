using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.Checkout;

/// <summary>Settings of the checkout saga and its admission control. Every limit is enforced before any store is touched.</summary>
public sealed class CheckoutOptions
{
    /// <summary>When the authorization is captured. Default <see cref="CaptureMode.Immediate"/>.</summary>
    public CaptureMode CaptureMode { get; set; } = CaptureMode.Immediate;

    /// <summary>How long the stock is held while the payment runs. Default 10 minutes.</summary>
    public TimeSpan ReservationTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most lines one checkout may have. Default 50.</summary>
    [Range(1, 1_000)]
    public int MaxLines { get; set; } = 50;

    /// <summary>The most units one line may ask for. Default 10,000.</summary>
    [Range(1, 1_000_000)]
    public long MaxQuantityPerLine { get; set; } = 10_000;

    /// <summary>
    /// How long the request that starts (or the worker that takes over) a saga owns it before the recovery worker may
    /// take it over. Must be longer than the payments key lease, so that a live authorization is never resumed
    /// concurrently (it would only be refused, but wastes work). Default 60 seconds.
    /// </summary>
    public TimeSpan SagaLease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait before looking again at a saga whose payment outcome is unknown. Default 5 seconds.</summary>
    public TimeSpan PendingRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the recovery worker looks for sagas to drive. Default 1 second.</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many sagas the recovery worker drives per pass. Default 100.</summary>
    [Range(1, 10_000)]
    public int RecoveryBatchSize { get; set; } = 100;

    /// <summary>
    /// How many checkouts run at once in this process; more wait in the queue. Default 1,024 (with a PSP that answers in
    /// 50 ms this allows about 20,000 checkouts per second).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentCheckouts { get; set; } = 1_024;

    /// <summary>How many checkouts may wait for a slot; beyond that they are shed with <c>checkout.busy</c>. Default 8,192.</summary>
    [Range(0, 10_000_000)]
    public int MaxQueuedCheckouts { get; set; } = 8_192;

    /// <summary>The retry-after hint of <c>checkout.busy</c> when the limiter gives none. Default 1 second.</summary>
    public TimeSpan BusyRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The in-process global rate limit (a token bucket, replenished every <see cref="RateLimitPeriod"/>) used when no
    /// global <see cref="System.Threading.RateLimiting.RateLimiter"/> is registered; null (the default) for none.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? GlobalPermitsPerSecond { get; set; }

    /// <summary>
    /// The in-process per-buyer rate limit (a token bucket per buyer) used when no per-buyer
    /// <see cref="System.Threading.RateLimiting.PartitionedRateLimiter{TResource}"/> is registered; null for none.
    /// Default 10 checkouts per second.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? BuyerPermitsPerSecond { get; set; } = 10;

    /// <summary>The burst a buyer may use at once (the bucket's size). Default 20.</summary>
    [Range(1, int.MaxValue)]
    public int BuyerBurst { get; set; } = 20;

    /// <summary>How often the in-process token buckets are refilled. Default 100 ms.</summary>
    public TimeSpan RateLimitPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The most units of one SKU one buyer may buy, across the buyer's checkouts in this process, unless the catalog
    /// sets <see cref="CatalogItem.MaxQuantityPerBuyer"/>; null (the default) for no cap.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long? MaxQuantityPerBuyerPerSku { get; set; }

    /// <summary>
    /// How long a SKU the store reported sold out is refused without asking the store. After that, one checkout per
    /// interval is let through to ask again, so a SKU whose stock came back (restock, a released or expired
    /// reservation) is refused for at most about this long. Releases made by this process reopen the SKU at once.
    /// Zero turns the fast path off. Default 250 ms.
    /// </summary>
    public TimeSpan SoldOutRecheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>Validates <see cref="CheckoutOptions"/> against its DataAnnotations, without reflection.</summary>
[OptionsValidator]
internal sealed partial class CheckoutOptionsValidator : IValidateOptions<CheckoutOptions>;
