using System.Diagnostics.CodeAnalysis;
using Commerce.Events;
using Commerce.Redis;
using Commerce.Redis.Streams;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis Streams event publisher and consumers.</summary>
public static class RedisStreamsServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="RedisStreamEventPublisher"/> as the <see cref="IEventPublisher"/> (unless one is
    /// registered already), so outbox relays (for example the ordering engine's) publish to a Redis stream. Uses the
    /// registered <see cref="IConnectionMultiplexer"/>, or one built from <see cref="RedisOptions"/>.
    /// </summary>
    public static IServiceCollection AddRedisEventPublisher(this IServiceCollection services, Action<RedisEventStreamOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddCommerceRedis();
        var options = services.AddOptions<RedisEventStreamOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisEventStreamOptions>, PublisherRules>());
        options.ValidateOnStart();
        services.TryAddSingleton(static sp => new RedisStreamEventPublisher(
            sp.GetRequiredService<IConnectionMultiplexer>().GetDatabase(),
            sp.GetRequiredService<IOptions<RedisEventStreamOptions>>().Value,
            sp.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix));
        services.TryAddSingleton<IEventPublisher>(static sp => sp.GetRequiredService<RedisStreamEventPublisher>());
        return services;
    }

    /// <summary>
    /// Runs a <see cref="RedisStreamConsumer"/> as a hosted service, handing events to <typeparamref name="THandler"/>
    /// (resolved once, as a singleton unless registered otherwise). <paramref name="name"/> names its options; call
    /// once per consumer group (or several times with different names for several consumers in one process).
    /// </summary>
    public static IServiceCollection AddRedisStreamConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, string name, Action<RedisStreamConsumerOptions>? configure = null)
        where THandler : class, IStreamEventHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        services.AddCommerceRedis();
        var options = services.AddOptions<RedisStreamConsumerOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStreamConsumerOptions>, ConsumerRules>());
        options.ValidateOnStart();
        services.TryAddSingleton<THandler>();
        services.AddSingleton<IHostedService>(sp => new RedisStreamConsumerService(() => new RedisStreamConsumer(
            sp.GetRequiredService<IConnectionMultiplexer>().GetDatabase(),
            sp.GetRequiredService<IOptionsMonitor<RedisStreamConsumerOptions>>().Get(name),
            sp.GetRequiredService<THandler>(),
            sp.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<RedisStreamConsumer>>())));
        return services;
    }

    private sealed class PublisherRules : IValidateOptions<RedisEventStreamOptions>
    {
        public ValidateOptionsResult Validate(string? name, RedisEventStreamOptions options) =>
            options.Errors() is { } errors ? ValidateOptionsResult.Fail($"Redis event stream: {errors}") : ValidateOptionsResult.Success;
    }

    private sealed class ConsumerRules : IValidateOptions<RedisStreamConsumerOptions>
    {
        public ValidateOptionsResult Validate(string? name, RedisStreamConsumerOptions options) =>
            options.Errors() is { } errors ? ValidateOptionsResult.Fail($"Redis stream consumer '{name}': {errors}") : ValidateOptionsResult.Success;
    }
}
