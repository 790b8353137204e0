namespace Commerce.Redis.Gate;

/// <summary>Settings of the hot-SKU gate.</summary>
public sealed class RedisGateOptions
{
    /// <summary>Prepended to every gate key (after it comes <c>gate:{sku}:</c>). No braces. Default <c>commerce:</c>.</summary>
    public string KeyPrefix { get; set; } = "commerce:";

    /// <summary>
    /// How long a gate count may go without being checked against the truth before a refusal triggers a background check
    /// (one per SKU and location at a time). Bounds how long a refusal can be wrong after anything the gate could not see
    /// (a release lost with Redis down, a rebuild racing a release). Default 1 second.
    /// </summary>
    public TimeSpan VerifyInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an admission may stay in flight before a resync stops waiting for it. Default 30 seconds.</summary>
    public TimeSpan InFlightTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the gate remembers an admitted reservation id, so that replays reach the truth. Default 24 hours.</summary>
    public TimeSpan AdmittedRetention { get; set; } = TimeSpan.FromHours(24);
}
