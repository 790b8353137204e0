using Commerce.Payments;
using Commerce.Redis.Payments;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps the payments' idempotency keys in Redis.</summary>
public static class RedisPaymentsBuilderExtensions
{
    /// <summary>
    /// Keeps callers' idempotency keys in Redis, connecting with <paramref name="configuration"/> (a StackExchange.Redis
    /// configuration string: one endpoint, or several cluster nodes) unless an <see cref="IConnectionMultiplexer"/> is
    /// registered already. Payments stay in the payment store (<c>UsePostgreSql</c>), the source of truth.
    /// </summary>
    public static PaymentsBuilder UseRedisIdempotency(this PaymentsBuilder builder, string configuration, Action<RedisIdempotencyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(configuration);
        builder.Services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(configuration));
        return builder.UseRedisIdempotency(static sp => sp.GetRequiredService<IConnectionMultiplexer>(), configure);
    }

    /// <summary>Keeps callers' idempotency keys in Redis, through a connection the application provides.</summary>
    public static PaymentsBuilder UseRedisIdempotency(
        this PaymentsBuilder builder, Func<IServiceProvider, IConnectionMultiplexer> connection, Action<RedisIdempotencyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connection);

        // Keys live as long as the payments keep them (KeyRetention), unless configured otherwise below.
        var options = builder.Services.AddOptions<RedisIdempotencyOptions>()
            .Configure<IOptions<PaymentsOptions>>(static (o, payments) => o.Retention = payments.Value.KeyRetention);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options
            .Validate(static o => !string.IsNullOrEmpty(o.KeyPrefix), "KeyPrefix must not be empty.")
            .Validate<IOptions<PaymentsOptions>>(
                static (o, payments) => o.Retention > payments.Value.KeyLease, "Retention must be longer than the payments' KeyLease.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new RedisIdempotencyKeyStore(
            connection(sp).GetDatabase(), sp.GetRequiredService<IOptions<RedisIdempotencyOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        return builder.UseKeyStore(static sp => sp.GetRequiredService<RedisIdempotencyKeyStore>());
    }
}
