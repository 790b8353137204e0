using Commerce.Events;
using Commerce.Payments.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.Payments.Events;

/// <summary>Relays the payments outbox to the registered <see cref="IEventPublisher"/>; idle when none is registered.</summary>
internal sealed class PaymentsOutboxRelayService(IServiceProvider services, TimeProvider timeProvider) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var publisher = services.GetService<IEventPublisher>();
        if (publisher is null)
        {
            return Task.CompletedTask;
        }

        var outbox = services.GetRequiredService<IPaymentStore>().Outbox;
        return new OutboxRelay(outbox, publisher, new OutboxRelayOptions(), timeProvider).RunAsync(stoppingToken);
    }
}
