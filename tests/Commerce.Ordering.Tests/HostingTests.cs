using Commerce.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Commerce.Ordering.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task Events_reach_a_registered_channel_publisher_in_order()
    {
        var publisher = new ChannelEventPublisher();
        using var host = BuildHost(services =>
        {
            services.AddSingleton<IEventPublisher>(publisher);
            services.AddCommerceOrdering(o => o.OutboxIdleDelay = TimeSpan.FromMilliseconds(10));
        });
        await host.StartAsync();
        var orders = host.Services.GetRequiredService<OrderService>();
        var id = new OrderId("o-1");

        await orders.ExecuteAsync(new PlaceOrder(id, new CommandId("c1"), "checkout", new BuyerId("b"),
            [new OrderLine(new Sku("s"), new SellerId("x"), 1, new Money(100, Currency.USD))]));
        await orders.ExecuteAsync(new MarkPaid(id, new CommandId("c2"), "checkout"));
        await orders.ExecuteAsync(new CancelOrder(id, new CommandId("c3"), "buyer"));

        var received = new List<EventEnvelope>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (received.Count < 3)
        {
            received.Add(await publisher.Reader.ReadAsync(timeout.Token));
        }

        Assert.Equal([OrderEventTypes.Placed, OrderEventTypes.Paid, OrderEventTypes.Cancelled], received.Select(e => e.EventType));
        Assert.All(received, e => Assert.Equal("o-1", e.StreamId));
        Assert.Equal((await orders.ReadHistoryAsync(id)).Select(e => e.EventId), received.Select(e => e.EventId));
        await host.StopAsync();
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_from_starting()
    {
        using var host = BuildHost(services => services.AddCommerceOrdering(o =>
        {
            o.DefaultPageSize = 1_000;
            o.MaxPageSize = 10;
            o.MaxLinesPerOrder = 0;
        }));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.Contains("DefaultPageSize", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxLinesPerOrder", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_publisher_the_in_memory_store_keeps_no_outbox()
    {
        using var host = BuildHost(services => services.AddCommerceOrdering());
        var store = host.Services.GetRequiredService<Storage.IOrderStore>();

        Assert.Null(Assert.IsType<InMemory.InMemoryOrderStore>(store).Outbox);
    }

    private static IHost BuildHost(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        configure(builder.Services);
        return builder.Build();
    }
}
