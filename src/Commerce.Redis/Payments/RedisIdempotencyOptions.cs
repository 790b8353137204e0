namespace Commerce.Redis.Payments;

/// <summary>Settings of the <see cref="RedisIdempotencyKeyStore"/>.</summary>
public sealed class RedisIdempotencyOptions
{
    /// <summary>Prepended to every key, before the caller's key in braces. Default <c>commerce:pay-idem:</c>.</summary>
    public string KeyPrefix { get; set; } = "commerce:pay-idem:";

    /// <summary>
    /// How long a key is kept after its creation: Redis expires it then. Keep it equal to the payments'
    /// <c>KeyRetention</c> (the DI registration does). Default 24 hours.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);
}
