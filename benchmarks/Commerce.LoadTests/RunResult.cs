namespace Commerce.LoadTests;

/// <summary>One contestant's figures for one run.</summary>
/// <param name="Completed">Calls that completed in the measured window (reserved or refused as sold out).</param>
/// <param name="PerSecond">Completed calls per second.</param>
/// <param name="P50">Median latency, ms.</param>
/// <param name="P95">95th percentile latency, ms.</param>
/// <param name="P99">99th percentile latency, ms.</param>
/// <param name="SoldOut">Calls refused for insufficient stock.</param>
/// <param name="Errors">Calls that failed.</param>
/// <param name="FirstError">The first failure's message.</param>
internal sealed record RunResult(long Completed, double PerSecond, double P50, double P95, double P99, long SoldOut, long Errors, string? FirstError)
{
    public ServerCounters Server { get; init; }

    /// <summary>Builds the figures from raw latencies (in ticks of <paramref name="frequency"/> per second).</summary>
    public static RunResult FromTicks(long[] latencies, long frequency, TimeSpan duration, long soldOut, long errors, string? firstError)
    {
        Array.Sort(latencies);
        double Ms(double q) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))] * 1000.0 / frequency;
        return new RunResult(latencies.Length, latencies.Length / duration.TotalSeconds, Ms(0.50), Ms(0.95), Ms(0.99), soldOut, errors, firstError);
    }
}
