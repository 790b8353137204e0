using System.Threading.RateLimiting;
using Commerce.Events;
using Commerce.Ordering;
using Commerce.Redis.RateLimiting;
using Commerce.Redis.Streams;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Commerce.Redis.Tests.Streams.StreamTestKit;

namespace Commerce.Redis.Tests.Streams;

/// <summary>The DI registrations, end to end: ordering's outbox relay to a Redis stream to a consumer group, and the limiters.</summary>
public sealed class RedisHostingTests
{
    [Theory]
    [InlineData(RedisTopology.Standalone)]
    [InlineData(RedisTopology.Cluster)]
    public async Task Order_events_travel_from_the_ordering_outbox_through_a_redis_stream_to_a_consumer_group(RedisTopology topology)
    {
        var configuration = topology == RedisTopology.Cluster ? TestServers.RequireRedisCluster() : TestServers.RequireRedis();
        var handler = new RecordingHandler();
        using var host = Build(configuration, services =>
        {
            services.AddSingleton(handler);
            services.AddRedisEventPublisher(o => o.StreamName = "ordering");
            services.AddCommerceOrdering(o => o.OutboxIdleDelay = TimeSpan.FromMilliseconds(10));
            services.AddRedisStreamConsumer<RecordingHandler>("notifications", o =>
                (o.StreamName, o.GroupName, o.PollInterval) = ("ordering", "notifications", TimeSpan.FromMilliseconds(10)));
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        Assert.IsType<RedisStreamEventPublisher>(host.Services.GetRequiredService<IEventPublisher>());
        var orders = host.Services.GetRequiredService<OrderService>();

        var ids = Enumerable.Range(0, 3).Select(i => new OrderId($"o-{i}")).ToArray();
        foreach (var id in ids)
        {
            await orders.ExecuteAsync(new PlaceOrder(id, new CommandId("c1"), "checkout", new BuyerId("b"),
                [new OrderLine(new Sku("s"), new SellerId("x"), 1, new Money(100, Currency.USD))]), TestContext.Current.CancellationToken);
            await orders.ExecuteAsync(new MarkPaid(id, new CommandId("c2"), "checkout"), TestContext.Current.CancellationToken);
            await orders.ExecuteAsync(new CancelOrder(id, new CommandId("c3"), "buyer"), TestContext.Current.CancellationToken);
        }

        await WaitUntilAsync(() => handler.Handled.Count >= 9);
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(9, handler.Handled.Count);
        foreach (var id in ids)
        {
            var history = await orders.ReadHistoryAsync(id, TestContext.Current.CancellationToken);
            var received = handler.Handled.Where(h => h.Envelope.StreamId == id.Value).Select(h => h.Envelope).ToArray();
            Assert.Equal(history.Select(e => e.EventId), received.Select(e => e.EventId));
            Assert.Equal([OrderEventTypes.Placed, OrderEventTypes.Paid, OrderEventTypes.Cancelled], received.Select(e => e.EventType));
            Assert.Equal(["c1", "c2", "c3"], received.Select(e => e.CorrelationId));
        }
    }

    [Fact]
    public async Task Rate_limiters_are_registered_by_name_and_share_the_connection()
    {
        var configuration = TestServers.RequireRedis();
        using var host = Build(configuration, services =>
        {
            services.AddRedisTokenBucketRateLimiter("checkout", o => (o.TokenLimit, o.TokensPerPeriod, o.ReplenishmentPeriod) = (2, 1, TimeSpan.FromHours(1)));
            services.AddRedisPartitionedTokenBucketRateLimiter("per-buyer", o => (o.TokenLimit, o.TokensPerPeriod, o.ReplenishmentPeriod) = (1, 1, TimeSpan.FromHours(1)));
        });
        await host.StartAsync(TestContext.Current.CancellationToken);

        var global = Assert.IsType<RedisTokenBucketRateLimiter>(host.Services.GetRequiredKeyedService<RateLimiter>("checkout"));
        var perBuyer = Assert.IsType<RedisPartitionedTokenBucketRateLimiter>(host.Services.GetRequiredKeyedService<PartitionedRateLimiter<string>>("per-buyer"));
        Assert.EndsWith("ratelimit:{checkout}", (string?)global.Key, StringComparison.Ordinal);
        Assert.True((await global.AcquireAsync(2, TestContext.Current.CancellationToken)).IsAcquired);
        Assert.False((await global.AcquireAsync(1, TestContext.Current.CancellationToken)).IsAcquired);
        Assert.True((await perBuyer.AcquireAsync("b-1", 1, TestContext.Current.CancellationToken)).IsAcquired);
        Assert.False((await perBuyer.AcquireAsync("b-1", 1, TestContext.Current.CancellationToken)).IsAcquired);
        Assert.True((await perBuyer.AcquireAsync("b-2", 1, TestContext.Current.CancellationToken)).IsAcquired);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start_up()
    {
        using var limiter = Build("127.0.0.1:1,connectTimeout=100", services => services.AddRedisTokenBucketRateLimiter("bad", o => o.ReplenishmentPeriod = TimeSpan.Zero));
        await Assert.ThrowsAsync<OptionsValidationException>(() => limiter.StartAsync(TestContext.Current.CancellationToken));

        using var consumer = Build("127.0.0.1:1,connectTimeout=100", services => services.AddRedisStreamConsumer<RecordingHandler>("bad", o => o.BatchSize = 0));
        await Assert.ThrowsAsync<OptionsValidationException>(() => consumer.StartAsync(TestContext.Current.CancellationToken));

        using var publisher = Build("127.0.0.1:1,connectTimeout=100", services => services.AddRedisEventPublisher(o => o.StreamName = "has{braces}"));
        await Assert.ThrowsAsync<OptionsValidationException>(() => publisher.StartAsync(TestContext.Current.CancellationToken));
    }

    private static IHost Build(string configuration, Action<IServiceCollection> configure)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var prefix = TestRedis.Prefix();
        builder.Services.Configure<RedisOptions>(o => (o.Configuration, o.KeyPrefix) = (configuration, prefix));
        configure(builder.Services);
        return builder.Build();
    }
}
