using Commerce.Inventory;
using Commerce.Inventory.Storage;
using Commerce.Redis.Gate;
using Commerce.Redis.Inventory;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Commerce.Redis.Tests;

/// <summary>The DI wiring: one shared connection, the Redis store, and the gate in front of PostgreSQL.</summary>
public sealed class RedisDependencyInjectionTests
{
    [Fact]
    public async Task UseRedis_serves_the_inventory_from_redis_through_the_shared_connection()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCommerceRedis(o => o.Configuration = TestServers.RequireRedis());
        builder.Services.AddCommerceInventory().UseRedis(o => o.KeyPrefix = RedisConnections.NewPrefix("di"));
        using var host = builder.Build();
        await host.StartAsync();

        Assert.IsType<RedisInventoryStore>(host.Services.GetRequiredService<IInventoryStore>());
        Assert.Single(host.Services.GetServices<IConnectionMultiplexer>());
        var inventory = host.Services.GetRequiredService<InventoryService>();
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("s"), 2, "received", new IdempotencyKey("k")));
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r"), [new ReservationLine(new Sku("s"), 2)]))).IsSuccess);
        Assert.False((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r2"), [new ReservationLine(new Sku("s"), 1)]))).IsSuccess);
        await host.StopAsync();
    }

    [Fact]
    public async Task UseRedisGate_puts_the_gate_in_front_of_postgresql_once()
    {
        await using var schema = PostgreSqlSchema.Create("gdi");
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCommerceRedis(o =>
        {
            o.Configuration = TestServers.RequireRedis();
            o.KeyPrefix = RedisConnections.NewPrefix("gdi");
        });
        builder.Services.AddCommerceInventory()
            .UsePostgreSql(TestServers.RequirePostgreSql(), o => o.Schema = schema.Name)
            .UseRedisGate()
            .UseRedisGate();
        using var host = builder.Build();
        await host.StartAsync();

        var gate = Assert.IsType<RedisInventoryGate>(host.Services.GetRequiredService<IInventoryStore>());
        Assert.IsType<Commerce.PostgreSql.Inventory.PostgreSqlInventoryStore>(gate.Truth);
        var inventory = host.Services.GetRequiredService<InventoryService>();
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("s"), 1, "received", new IdempotencyKey("k")));
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r"), [new ReservationLine(new Sku("s"), 1)]))).IsSuccess);
        Assert.False((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r2"), [new ReservationLine(new Sku("s"), 1)]))).IsSuccess);
        Assert.Equal(1, gate.Refused);
        await host.StopAsync();
    }
}
