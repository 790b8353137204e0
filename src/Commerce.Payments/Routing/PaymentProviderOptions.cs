namespace Commerce.Payments.Routing;

/// <summary>
/// How one provider takes part in routing and how calls to it are made resilient. Providers are tried by ascending
/// <see cref="Priority"/>; among equal priorities, by weighted random choice.
/// </summary>
public sealed class PaymentProviderOptions
{
    /// <summary>The ISO 4217 codes this provider accepts; empty means every currency.</summary>
    public ISet<string> Currencies { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The smallest amount, in minor units, routed here. Default 1.</summary>
    public long MinAmountMinor { get; set; } = 1;

    /// <summary>The largest amount, in minor units, routed here. Default <see cref="long.MaxValue"/>.</summary>
    public long MaxAmountMinor { get; set; } = long.MaxValue;

    /// <summary>Lower is tried first. Default 0.</summary>
    public int Priority { get; set; }

    /// <summary>The share of traffic among providers of equal priority. Default 1; 0 makes the provider a pure fallback within its priority.</summary>
    public int Weight { get; set; } = 1;

    /// <summary>
    /// How long one PSP call may take before its outcome counts as unknown. Default 8 seconds, so that all tries with
    /// their backoff stay within the default 30-second key lease (checked at start-up).
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>The longest time one call with all its retries may take: every try timing out, plus the largest backoff.</summary>
    internal TimeSpan WorstCaseCallTime =>
        (Timeout > TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan ? Timeout : TimeSpan.MaxValue / 4) * (MaxRetries + 1)
        + (RetryBaseDelay * Math.Pow(2, MaxRetries) * 1.5);

    /// <summary>Retries of one call with the same PSP idempotency key, with jittered exponential backoff. Default 2.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The first retry delay. Default 100 milliseconds.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The failure ratio over <see cref="CircuitSamplingDuration"/> that opens the circuit. Default 0.5.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>The calls needed in a sampling window before the circuit may open. Default 20.</summary>
    public int CircuitMinimumThroughput { get; set; } = 20;

    /// <summary>The window over which failures are counted. Default 30 seconds.</summary>
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls. Default 15 seconds.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The first delay of the unknown-outcome resolver for this provider; it doubles per try up to 10 minutes. Default 5 seconds.</summary>
    public TimeSpan ResolveBaseDelay { get; set; } = TimeSpan.FromSeconds(5);
}
