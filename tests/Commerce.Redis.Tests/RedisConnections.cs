using System.Collections.Concurrent;
using Commerce.Testing;
using StackExchange.Redis;

namespace Commerce.Redis.Tests;

/// <summary>One shared connection per server for the whole test run, and a fresh key prefix per test.</summary>
internal static class RedisConnections
{
    private static readonly ConcurrentDictionary<string, Lazy<ConnectionMultiplexer>> Connections = new();

    /// <summary>The standalone Redis the test command started.</summary>
    public static IConnectionMultiplexer Standalone() => Get(TestServers.RequireRedis());

    /// <summary>The Redis Cluster the test command started.</summary>
    public static IConnectionMultiplexer Cluster() => Get(TestServers.RequireRedisCluster());

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix(string name) => $"t:{name}:{Guid.NewGuid():N}:";

    private static ConnectionMultiplexer Get(string configuration) =>
        Connections.GetOrAdd(configuration, static c => new Lazy<ConnectionMultiplexer>(() =>
        {
            var options = ConfigurationOptions.Parse(c);
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        })).Value;
}
