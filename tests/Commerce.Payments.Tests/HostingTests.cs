using System.Text.Json;
using Commerce.Events;
using Commerce.Payments.Events;
using Commerce.Payments.Providers.Simulated;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Payments.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task The_resolver_settles_an_unknown_authorization_in_the_background()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        using var host = BuildHost(time, services => services.AddCommercePayments(o => o.ResolverInterval = TimeSpan.FromSeconds(1))
            .AddSimulatedProvider(configure: p => { p.MaxRetries = 0; p.ResolveBaseDelay = TimeSpan.FromSeconds(2); }));
        await host.StartAsync();
        var payments = host.Services.GetRequiredService<PaymentService>();
        var id = new PaymentId("hosted-1");

        var result = await payments.AuthorizeAsync(
            new AuthorizePaymentRequest(id, new IdempotencyKey("k1"), Money.FromMinorUnits(500, "USD"), SimulatedPaymentProvider.LostResponseToken), default);
        var settled = await WaitUntilAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return (await payments.GetAsync(id, default))!.Status == PaymentStatus.Authorized;
        });

        Assert.Equal(PaymentOutcome.Pending, result.Outcome);
        Assert.True(settled, "the background resolver never settled the payment");
        await host.StopAsync();
    }

    [Fact]
    public async Task Payment_events_reach_a_registered_publisher_in_order()
    {
        var publisher = new RecordingPublisher();
        using var host = BuildHost(TimeProvider.System, services =>
        {
            services.AddSingleton<IEventPublisher>(publisher);
            services.AddCommercePayments().AddSimulatedProvider();
        });
        await host.StartAsync();
        var payments = host.Services.GetRequiredService<PaymentService>();
        var id = new PaymentId("hosted-2");

        await payments.AuthorizeAsync(new AuthorizePaymentRequest(id, new IdempotencyKey("a"), Money.FromMinorUnits(900, "EUR"), "tok_visa"), default);
        await payments.CaptureAsync(new CapturePaymentRequest(id, new IdempotencyKey("c"), Money.FromMinorUnits(900, "EUR")), default);

        Assert.True(await WaitUntilAsync(() => Task.FromResult(publisher.Events.Count >= 2)));
        Assert.Equal([PaymentEventTypes.Authorized, PaymentEventTypes.Captured], publisher.Events.Select(e => e.EventType));
        var captured = JsonSerializer.Deserialize(publisher.Events[1].Payload.Span, PaymentsJsonContext.Default.PaymentEvent)!;
        Assert.Equal(("hosted-2", "captured", 900L, "EUR"), (captured.PaymentId, captured.Status, captured.CapturedMinor, captured.Currency));
        Assert.All(publisher.Events, e => Assert.Equal("hosted-2", e.StreamId));
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_a_publisher_the_in_memory_store_keeps_no_events()
    {
        // Nothing would ever drain them: an in-memory outbox without a relay only grows.
        using var host = BuildHost(TimeProvider.System, services => services.AddCommercePayments().AddSimulatedProvider());
        var payments = host.Services.GetRequiredService<PaymentService>();
        var store = host.Services.GetRequiredService<Storage.IPaymentStore>();
        var id = new PaymentId("hosted-3");

        await payments.AuthorizeAsync(new AuthorizePaymentRequest(id, new IdempotencyKey("a"), Money.FromMinorUnits(900, "EUR"), "tok_visa"), default);

        Assert.Equal(PaymentStatus.Authorized, (await payments.GetAsync(id, default))!.Status);
        Assert.Empty(await store.Outbox.ClaimAsync(100, TimeSpan.FromSeconds(30), default));
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_from_starting()
    {
        using var host = BuildHost(TimeProvider.System, services => services.AddCommercePayments(o =>
        {
            o.MaxAmountMinor = 0;
            o.KeyRetention = TimeSpan.FromSeconds(1);
            o.CommissionBasisPoints["acme"] = 20_000;
        }));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("MaxAmountMinor", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("KeyRetention", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Commission", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_providers_with_one_name_are_refused()
    {
        var services = new ServiceCollection();
        services.AddCommercePayments().AddSimulatedProvider("twin").AddSimulatedProvider("twin");
        using var provider = services.BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PaymentService>());
        Assert.Throws<ArgumentException>(() => services.AddCommercePayments().AddSimulatedProvider("Bad Name"));
    }

    [Fact]
    public void A_provider_whose_calls_can_outlast_the_key_lease_is_refused()
    {
        var services = new ServiceCollection();
        services.AddCommercePayments(o => o.KeyLease = TimeSpan.FromSeconds(20))
            .AddSimulatedProvider("slow", configure: p => { p.Timeout = TimeSpan.FromSeconds(10); p.MaxRetries = 1; });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PaymentService>());

        Assert.Contains(error.Failures, f => f.Contains("'slow'", StringComparison.Ordinal) && f.Contains("KeyLease", StringComparison.Ordinal));
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
        for (var i = 0; i < 500; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }

    private sealed class RecordingPublisher : IEventPublisher
    {
        private readonly List<EventEnvelope> _events = [];

        public IReadOnlyList<EventEnvelope> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
        {
            lock (_events)
            {
                _events.AddRange(events);
            }

            return ValueTask.CompletedTask;
        }
    }
}
