using Commerce.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Commerce.Ordering.Events;

/// <summary>
/// Relays the ordering outbox to the registered <see cref="IEventPublisher"/>: at least once, in order per order, with
/// retries and a dead letter after <see cref="OrderingOptions.OutboxMaxAttempts"/> failures. Idle (and cheap) when the
/// host registered no publisher or the store keeps no outbox.
/// </summary>
internal sealed class OrderingOutboxRelayService(IServiceProvider services, IOptions<OrderingOptions> options, TimeProvider timeProvider) : BackgroundService
{
    internal const string OutboxKey = "Commerce.Ordering";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var outbox = services.GetKeyedService<IOutboxStore>(OutboxKey);
        var publisher = services.GetService<IEventPublisher>();
        if (outbox is null || publisher is null)
        {
            return Task.CompletedTask;
        }

        return new OutboxRelay(outbox, publisher, options.Value.RelayOptions(), timeProvider).RunAsync(stoppingToken);
    }
}
