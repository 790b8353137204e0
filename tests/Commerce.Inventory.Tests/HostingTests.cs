using System.Diagnostics.Metrics;
using Commerce.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Inventory.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task The_sweeper_expires_reservations_in_the_background()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        using var host = BuildHost(time, services => services.AddCommerceInventory(o => o.ExpiryInterval = TimeSpan.FromSeconds(1)));
        await host.StartAsync();
        var inventory = host.Services.GetRequiredService<InventoryService>();
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("s"), 5, "received", new IdempotencyKey("k")));
        await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r"), [new ReservationLine(new Sku("s"), 2)]) { Ttl = TimeSpan.FromMinutes(1) });

        var expired = await WaitUntilAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(30));
            return (await inventory.GetReservationAsync(new ReservationId("r")))!.State == ReservationState.Expired;
        });

        Assert.True(expired, "the background sweeper never expired the reservation");
        Assert.Equal(0, (await inventory.GetStockAsync(new Sku("s")))!.Reserved);
        await host.StopAsync();
    }

    [Fact]
    public async Task Events_reach_a_registered_publisher()
    {
        var publisher = new ChannelPublisher();
        using var host = BuildHost(TimeProvider.System, services =>
        {
            services.AddSingleton<IEventPublisher>(publisher);
            services.AddCommerceInventory();
        });
        await host.StartAsync();
        var inventory = host.Services.GetRequiredService<InventoryService>();

        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("s"), 5, "received", new IdempotencyKey("k")));
        await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r"), [new ReservationLine(new Sku("s"), 1)]));

        Assert.True(await WaitUntilAsync(() => Task.FromResult(publisher.Count >= 2)));
        Assert.Equal([InventoryEventTypes.StockAdjusted, InventoryEventTypes.Reserved], publisher.Types);
        await host.StopAsync();
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_from_starting()
    {
        using var host = BuildHost(TimeProvider.System, services => services.AddCommerceInventory(o =>
        {
            o.DefaultReservationTtl = TimeSpan.FromDays(2);
            o.MaxLinesPerReservation = 0;
        }));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("DefaultReservationTtl", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxLinesPerReservation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_count_reservations_by_outcome()
    {
        var measurements = new List<(string Instrument, long Value, string? Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Commerce.Inventory")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key is "outcome" or "state")
                {
                    outcome = tag.Value as string;
                }
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, outcome));
            }
        });
        listener.Start();
        var inventory = InventoryService.CreateInMemory();
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("metered"), 1, "received", new IdempotencyKey("k")));

        await inventory.ReserveAsync(new ReservationRequest(new ReservationId("m1"), [new ReservationLine(new Sku("metered"), 1)]));
        await inventory.ReserveAsync(new ReservationRequest(new ReservationId("m2"), [new ReservationLine(new Sku("metered"), 1)]));
        await inventory.CommitAsync(new ReservationId("m1"));

        lock (measurements)
        {
            Assert.Contains(("commerce.inventory.reservations", 1L, "reserved"), measurements);
            Assert.Contains(("commerce.inventory.reservations", 1L, "insufficient_stock"), measurements);
            Assert.Contains(("commerce.inventory.reservation.transitions", 1L, "committed"), measurements);
            Assert.Contains(("commerce.inventory.units.reserved", 1L, null), measurements);
        }
    }

    private static IHost BuildHost(TimeProvider time, Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(time);
        configure(builder.Services);
        return builder.Build();
    }

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(25);
        }

        return false;
    }

    private sealed class ChannelPublisher : IEventPublisher
    {
        private readonly List<string> _types = [];

        public int Count
        {
            get
            {
                lock (_types)
                {
                    return _types.Count;
                }
            }
        }

        public string[] Types
        {
            get
            {
                lock (_types)
                {
                    return [.. _types];
                }
            }
        }

        public ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
        {
            lock (_types)
            {
                _types.AddRange(events.Select(e => e.EventType));
            }

            return ValueTask.CompletedTask;
        }
    }
}
