using Microsoft.Extensions.Hosting;

namespace Commerce.Redis.Streams;

/// <summary>Runs a <see cref="RedisStreamConsumer"/> for the host's lifetime; stopping the host stops it gracefully.</summary>
internal sealed class RedisStreamConsumerService(RedisStreamConsumer consumer) : BackgroundService
{
    public RedisStreamConsumer Consumer => consumer;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => consumer.RunAsync(stoppingToken);
}
