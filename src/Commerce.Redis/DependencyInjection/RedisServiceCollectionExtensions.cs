using Commerce.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis connection every Commerce Engine Redis component shares.</summary>
public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="RedisOptions"/> and one shared <see cref="IConnectionMultiplexer"/> (unless the application
    /// registered its own), connecting lazily on first use and reconnecting by itself: a Redis that is down at start-up
    /// does not stop the host, and the components that can run without Redis fall back.
    /// </summary>
    public static IServiceCollection AddCommerceRedis(this IServiceCollection services, Action<RedisOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<RedisOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>());
        options.ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectionMultiplexer>(static sp =>
        {
            var configuration = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<RedisOptions>>().Value.Configuration);
            configuration.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(configuration);
        });
        return services;
    }
}
