using Commerce.Redis;

namespace Commerce.Redis.Tests;

public sealed class RedisOptionsTests
{
    [Fact]
    public void Defaults_point_at_a_local_redis_with_a_commerce_prefix()
    {
        var options = new RedisOptions();
        Assert.Equal("127.0.0.1:6379", options.Configuration);
        Assert.Equal("commerce:", options.KeyPrefix);
    }
}
