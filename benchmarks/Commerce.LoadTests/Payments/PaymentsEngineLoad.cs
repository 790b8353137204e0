using System.Diagnostics;
using Commerce.Payments;
using Commerce.Payments.Idempotency;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.LoadTests.Payments;

/// <summary>
/// Drives <see cref="PaymentService"/> over <c>PostgreSqlPaymentStore</c>, wired by <c>AddCommercePayments().UsePostgreSql(...)</c>
/// with the simulated PSP at zero latency: N async callers, each authorizing a new payment of 25.00 EUR and capturing
/// it in full, back to back. A pair that completes inside the measured window counts once, with its latency.
/// </summary>
internal static class PaymentsEngineLoad
{
    public static async Task<RunResult> RunAsync(PaymentsLoadOptions options, int clients, int maxAutoPrepare, string runTag)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        builder.MaxPoolSize = Math.Max(builder.MaxPoolSize, clients + 4);
        if (maxAutoPrepare > 0)
        {
            // Npgsql then prepares the store's statements on each connection after a few uses, as pgbench -M prepared does.
            builder.MaxAutoPrepare = maxAutoPrepare;
        }

        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var services = new ServiceCollection();
        services.AddCommercePayments()
            .AddSimulatedProvider()
            .UsePostgreSql(_ => dataSource, o =>
            {
                o.Schema = options.Schema;
                o.MigrateOnStart = false;
            });
        await using var provider = services.BuildServiceProvider();
        var payments = provider.GetRequiredService<PaymentService>();

        var window = new Window(options.Warmup, options.Duration);
        var callers = new Task<CallerStats>[clients];
        for (var c = 0; c < clients; c++)
        {
            var prefix = $"{runTag}-{c}-";
            callers[c] = Task.Run(() => CallAsync(payments, window, prefix));
        }

        var stats = await Task.WhenAll(callers);
        var latencies = stats.SelectMany(s => s.Latencies).ToArray();
        return RunResult.FromTicks(latencies, Stopwatch.Frequency, options.Duration,
            soldOut: 0, errors: stats.Sum(s => s.Errors), firstError: stats.Select(s => s.FirstError).FirstOrDefault(e => e is not null));
    }

    private static async Task<CallerStats> CallAsync(PaymentService payments, Window window, string prefix)
    {
        var stats = new CallerStats();
        var amount = new Money(2_500, Currency.EUR);
        for (long n = 0; ; n++)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= window.End)
            {
                return stats;
            }

            var id = new PaymentId(prefix + n);
            string? failure = null;
            try
            {
                var authorized = await payments.AuthorizeAsync(
                    new AuthorizePaymentRequest(id, new IdempotencyKey(prefix + "a" + n), amount, "pm_card_visa"), CancellationToken.None);
                var captured = authorized.Outcome == PaymentOutcome.Succeeded
                    ? await payments.CaptureAsync(new CapturePaymentRequest(id, new IdempotencyKey(prefix + "c" + n), amount), CancellationToken.None)
                    : authorized;
                if (captured.Outcome != PaymentOutcome.Succeeded)
                {
                    failure = $"{captured.Outcome}: {captured.FailureCode}";
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or CommerceException or TimeoutException or InvalidOperationException)
            {
                failure = ex.Message;
            }

            var ended = Stopwatch.GetTimestamp();
            if (ended < window.Start || ended > window.End)
            {
                continue;
            }

            if (failure is not null)
            {
                stats.Errors++;
                stats.FirstError ??= failure;
            }
            else
            {
                stats.Latencies.Add(ended - started);
            }
        }
    }

    private sealed class CallerStats
    {
        public List<long> Latencies { get; } = new(16 * 1024);

        public long Errors { get; set; }

        public string? FirstError { get; set; }
    }

    /// <summary>The measured window, in <see cref="Stopwatch"/> ticks.</summary>
    private sealed class Window(TimeSpan warmup, TimeSpan duration)
    {
        public long Start { get; } = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);

        public long End => Start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    }
}
