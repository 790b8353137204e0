using System.Threading.RateLimiting;
using Commerce.Redis;
using Commerce.Redis.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Redis rate limiters.</summary>
public static class RedisRateLimitingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="RedisTokenBucketRateLimiter"/> as a keyed singleton <see cref="RateLimiter"/> (key
    /// <paramref name="name"/>, which is also the bucket's default <see cref="RedisTokenBucketRateLimiterOptions.Name"/>),
    /// with named options validated at start-up. It uses the registered <see cref="IConnectionMultiplexer"/>, or one
    /// built from <see cref="RedisOptions"/>, and <see cref="RedisOptions.KeyPrefix"/>.
    /// </summary>
    public static IServiceCollection AddRedisTokenBucketRateLimiter(
        this IServiceCollection services, string name, Action<RedisTokenBucketRateLimiterOptions>? configure = null)
    {
        AddOptions(services, name, configure);
        services.AddKeyedSingleton<RateLimiter>(name, static (sp, key) =>
        {
            var (database, options, prefix, time) = Resolve(sp, (string)key!);
            return new RedisTokenBucketRateLimiter(database, options, prefix, time);
        });
        return services;
    }

    /// <summary>
    /// Registers a <see cref="RedisPartitionedTokenBucketRateLimiter"/> (one bucket per partition key, e.g. per buyer id)
    /// as a keyed singleton <see cref="PartitionedRateLimiter{TResource}"/> of <see cref="string"/>, like
    /// <see cref="AddRedisTokenBucketRateLimiter"/>.
    /// </summary>
    public static IServiceCollection AddRedisPartitionedTokenBucketRateLimiter(
        this IServiceCollection services, string name, Action<RedisTokenBucketRateLimiterOptions>? configure = null)
    {
        AddOptions(services, name, configure);
        services.AddKeyedSingleton<PartitionedRateLimiter<string>>(name, static (sp, key) =>
        {
            var (database, options, prefix, time) = Resolve(sp, (string)key!);
            return new RedisPartitionedTokenBucketRateLimiter(database, options, prefix, time);
        });
        return services;
    }

    private static void AddOptions(IServiceCollection services, string name, Action<RedisTokenBucketRateLimiterOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        services.AddCommerceRedis();
        var options = services.AddOptions<RedisTokenBucketRateLimiterOptions>(name).Configure(o => o.Name = name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisTokenBucketRateLimiterOptions>, OptionsRules>());
        options.ValidateOnStart();
    }

    private static (IDatabase Database, RedisTokenBucketRateLimiterOptions Options, string Prefix, TimeProvider Time) Resolve(IServiceProvider services, string name) => (
        services.GetRequiredService<IConnectionMultiplexer>().GetDatabase(),
        services.GetRequiredService<IOptionsMonitor<RedisTokenBucketRateLimiterOptions>>().Get(name),
        services.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix,
        services.GetRequiredService<TimeProvider>());

    private sealed class OptionsRules : IValidateOptions<RedisTokenBucketRateLimiterOptions>
    {
        public ValidateOptionsResult Validate(string? name, RedisTokenBucketRateLimiterOptions options) =>
            options.Errors() is { } errors ? ValidateOptionsResult.Fail($"Redis rate limiter '{name}': {errors}") : ValidateOptionsResult.Success;
    }
}
