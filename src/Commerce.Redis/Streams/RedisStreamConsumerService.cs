using Microsoft.Extensions.Hosting;

namespace Commerce.Redis.Streams;

/// <summary>Runs a <see cref="RedisStreamConsumer"/> for the host's lifetime; stopping the host stops it gracefully.</summary>
/// <param name="createConsumer">Builds the consumer once the host has started, so that a slow first connection to Redis does not hold up start-up.</param>
internal sealed class RedisStreamConsumerService(Func<RedisStreamConsumer> createConsumer) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await createConsumer().RunAsync(stoppingToken).ConfigureAwait(false);
    }
}
