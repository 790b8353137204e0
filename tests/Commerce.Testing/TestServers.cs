namespace Commerce.Testing;

/// <summary>
/// Where the servers the test command (<c>./build.sh test</c>) started can be reached. Under <c>CI=true</c> a missing
/// server is a failure, never a skip; locally, plain <c>dotnet test</c> skips server tests with a hint.
/// </summary>
public static class TestServers
{
    /// <summary>The environment variable holding the PostgreSQL connection string.</summary>
    public const string PostgreSqlVariable = "COMMERCE_TEST_POSTGRES";

    /// <summary>The environment variable holding the standalone Redis configuration string (<c>host:port</c>).</summary>
    public const string RedisVariable = "COMMERCE_TEST_REDIS";

    /// <summary>The environment variable holding the Redis Cluster endpoints (<c>host:port,host:port,host:port</c>).</summary>
    public const string RedisClusterVariable = "COMMERCE_TEST_REDIS_CLUSTER";

    /// <summary>Whether this is a CI run.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns the PostgreSQL connection string, failing under CI and skipping elsewhere when it is not set.</summary>
    public static string RequirePostgreSql() => Require(PostgreSqlVariable, "PostgreSQL");

    /// <summary>Returns the standalone Redis configuration string, failing under CI and skipping elsewhere when it is not set.</summary>
    public static string RequireRedis() => Require(RedisVariable, "Redis");

    /// <summary>Returns the Redis Cluster endpoints, failing under CI and skipping elsewhere when they are not set.</summary>
    public static string RequireRedisCluster() => Require(RedisClusterVariable, "Redis Cluster");

    private static string Require(string variable, string server)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }

        var message = $"{server} is not available: {variable} is not set. Run ./build.sh test, which starts a throwaway {server} and sets it.";
        if (IsCi)
        {
            Assert.Fail(message + " Under CI a missing server is a failure.");
        }

        Assert.Skip(message);
        return null!;
    }
}
