using Commerce.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.Inventory.Events;

/// <summary>
/// Relays the inventory outbox to the registered <see cref="IEventPublisher"/>. Idle (and cheap) when the host
/// registered no publisher or the store keeps no outbox.
/// </summary>
internal sealed class InventoryOutboxRelayService(IServiceProvider services, TimeProvider timeProvider) : BackgroundService
{
    internal const string OutboxKey = "Commerce.Inventory";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var outbox = services.GetKeyedService<IOutboxStore>(OutboxKey);
        var publisher = services.GetService<IEventPublisher>();
        if (outbox is null || publisher is null)
        {
            return Task.CompletedTask;
        }

        return new OutboxRelay(outbox, publisher, new OutboxRelayOptions(), timeProvider).RunAsync(stoppingToken);
    }
}
