using System.Collections.Concurrent;
using Commerce.Redis.Payments;
using Commerce.Testing;
using StackExchange.Redis;

namespace Commerce.Redis.Tests.Payments;

/// <summary>Connections to the test servers, one per configuration for the whole run, and key stores on fresh prefixes.</summary>
internal static class PaymentsRedis
{
    private static readonly ConcurrentDictionary<string, Lazy<ConnectionMultiplexer>> Connections = new(StringComparer.Ordinal);

    /// <summary>The standalone server (skips locally, fails under CI, when it is not running).</summary>
    public static IDatabase Standalone() => Connect(TestServers.RequireRedis());

    /// <summary>The three-master cluster.</summary>
    public static IDatabase Cluster() => Connect(TestServers.RequireRedisCluster());

    /// <summary>A key store whose keys no other test sees.</summary>
    public static RedisIdempotencyKeyStore Store(IDatabase database, TimeProvider timeProvider, TimeSpan? retention = null) =>
        new(database, Options(retention), timeProvider);

    /// <summary>Options with a fresh prefix.</summary>
    public static RedisIdempotencyOptions Options(TimeSpan? retention = null) => new()
    {
        KeyPrefix = $"test:pay-idem:{Guid.NewGuid():N}:",
        Retention = retention ?? TimeSpan.FromHours(24),
    };

    private static IDatabase Connect(string configuration) =>
        Connections.GetOrAdd(configuration, static c => new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(c))).Value.GetDatabase();
}
