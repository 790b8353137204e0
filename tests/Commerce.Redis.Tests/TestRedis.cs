using Commerce.Testing;
using StackExchange.Redis;

namespace Commerce.Redis.Tests;

/// <summary>Which Redis a test class runs against.</summary>
public enum RedisTopology
{
    /// <summary>The standalone server (<see cref="TestServers.RequireRedis"/>).</summary>
    Standalone,

    /// <summary>The three-master cluster (<see cref="TestServers.RequireRedisCluster"/>).</summary>
    Cluster,
}

/// <summary>Connections to the test servers, and a fresh key prefix per test so tests run in parallel.</summary>
internal static class TestRedis
{
    /// <summary>A new multiplexer (a separate "host") to the server of <paramref name="topology"/>; skips or fails when it is missing.</summary>
    public static ConnectionMultiplexer Connect(RedisTopology topology)
    {
        var configuration = topology == RedisTopology.Cluster ? TestServers.RequireRedisCluster() : TestServers.RequireRedis();
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = true;
        return ConnectionMultiplexer.Connect(options);
    }

    /// <summary>A multiplexer to a port nothing listens on, failing commands at once (or after <paramref name="timeoutMs"/> when queued).</summary>
    public static ConnectionMultiplexer ConnectToNothing(bool failFast, int timeoutMs = 300)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", ClosedPort() } },
            AbortOnConnectFail = false,
            ConnectTimeout = timeoutMs,
            SyncTimeout = timeoutMs,
            AsyncTimeout = timeoutMs,
            ConnectRetry = 0,
            BacklogPolicy = failFast ? BacklogPolicy.FailFast : BacklogPolicy.Default,
        };
        return ConnectionMultiplexer.Connect(options);
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string Prefix() => $"test:{Guid.NewGuid():N}:";

    private static int ClosedPort()
    {
        // Bind, read the port the system gave, close: nothing listens there afterwards.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
