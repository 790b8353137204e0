using Commerce.Redis.Streams;

namespace Commerce.Redis.Tests.Streams;

/// <summary>A consumer whose Redis cannot be reached: no server needed, a port nothing listens on.</summary>
public sealed class RedisStreamConsumerUnavailableTests
{
    [Fact]
    public async Task A_consumer_keeps_retrying_while_redis_is_unreachable_and_stops_cleanly()
    {
        using var nowhere = TestRedis.ConnectToNothing(failFast: true);
        var handler = new RecordingHandler();
        var consumer = new RedisStreamConsumer(nowhere.GetDatabase(), new RedisStreamConsumerOptions { PollInterval = TimeSpan.FromMilliseconds(10) }, handler);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await consumer.RunAsync(stop.Token);

        Assert.Empty(handler.Attempts);
        await Assert.ThrowsAnyAsync<StackExchange.Redis.RedisException>(() => consumer.ProcessOnceAsync(TestContext.Current.CancellationToken).AsTask());
    }
}
