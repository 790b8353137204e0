using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Commerce.Redis;

/// <summary>The one <see cref="IConnectionMultiplexer"/> a host shares, unless the application registered its own.</summary>
internal static class RedisConnection
{
    /// <summary>
    /// Registers a multiplexer built from <see cref="RedisOptions.Configuration"/>, if none is registered yet. It does
    /// not abort when Redis is down at start-up: it keeps reconnecting, and each feature's documented behaviour for an
    /// unavailable Redis applies meanwhile.
    /// </summary>
    public static void TryAdd(IServiceCollection services)
    {
        services.AddOptions<RedisOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectionMultiplexer>(static sp =>
        {
            var configuration = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<RedisOptions>>().Value.Configuration);
            configuration.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(configuration);
        });
    }
}
