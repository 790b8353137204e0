using Commerce.Inventory.Storage;
using Commerce.Redis;
using Commerce.Redis.Gate;
using Commerce.Redis.Inventory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts the inventory engine on Redis, or a Redis gate in front of its store.</summary>
public static class RedisInventoryBuilderExtensions
{
    /// <summary>Stores inventory in Redis (standalone or cluster), connecting with <paramref name="configuration"/>.</summary>
    public static InventoryBuilder UseRedis(this InventoryBuilder builder, string configuration, Action<RedisInventoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(configuration);
        builder.Services.AddCommerceRedis(o => o.Configuration = configuration);
        return builder.UseRedis(configure);
    }

    /// <summary>
    /// Stores inventory in Redis through the shared connection (<see cref="RedisServiceCollectionExtensions.AddCommerceRedis"/>
    /// or an <see cref="IConnectionMultiplexer"/> the application registered). The key prefix defaults to
    /// <see cref="RedisOptions.KeyPrefix"/>.
    /// </summary>
    public static InventoryBuilder UseRedis(this InventoryBuilder builder, Action<RedisInventoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddCommerceRedis();
        var options = builder.Services.AddOptions<RedisInventoryOptions>()
            .Configure<IOptions<RedisOptions>>(static (o, redis) => o.KeyPrefix = redis.Value.KeyPrefix);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisInventoryOptions>, RedisInventoryOptionsValidator>());
        options.ValidateOnStart();
        builder.Services.TryAddSingleton(static sp => new RedisInventoryStore(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOptions<RedisInventoryOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        return builder.UseStore(
            static sp => sp.GetRequiredService<RedisInventoryStore>(),
            static sp => sp.GetRequiredService<RedisInventoryStore>().Outbox);
    }

    /// <summary>
    /// Puts a hot-SKU gate on Redis in front of the store chosen so far (call it after <c>UsePostgreSql(...)</c>): sold-out
    /// answers come from Redis, reservations are still made by that store, which stays the source of truth and keeps its
    /// outbox. With Redis unreachable, reservations go to that store alone.
    /// </summary>
    public static InventoryBuilder UseRedisGate(this InventoryBuilder builder, Action<RedisGateOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var truth = services.LastOrDefault(static d => d.ServiceType == typeof(IInventoryStore) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("Choose the inventory store (for example .UsePostgreSql(...)) before .UseRedisGate().");
        if (services.Any(static d => d.ServiceType == typeof(GateRegistration)))
        {
            return builder; // already gated
        }

        services.AddSingleton<GateRegistration>();
        services.AddCommerceRedis();
        var options = services.AddOptions<RedisGateOptions>()
            .Configure<IOptions<RedisOptions>>(static (o, redis) => o.KeyPrefix = redis.Value.KeyPrefix);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.Replace(ServiceDescriptor.Singleton<IInventoryStore>(sp => new RedisInventoryGate(
            Resolve(sp, truth), sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<RedisGateOptions>>().Value)));
        return builder;
    }

    private sealed class GateRegistration;

    private static IInventoryStore Resolve(IServiceProvider services, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: IInventoryStore instance } => instance,
        { ImplementationFactory: { } factory } => (IInventoryStore)factory(services),
        _ => (IInventoryStore)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!),
    };
}
