using System.Collections.Concurrent;
using Commerce.Inventory;
using Commerce.PostgreSql;
using Commerce.PostgreSql.Inventory;
using Commerce.Redis.Gate;
using Commerce.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Commerce.Redis.Tests.Gate;

/// <summary>What only the gate promises: PostgreSQL stays the truth, Redis filters, and they agree again after anything.</summary>
public sealed class RedisGateTests : IAsyncLifetime
{
    private static readonly LocationId Default = new("default");
    private PostgreSqlSchema _schema = null!;
    private PostgreSqlInventoryStore _truth = null!;

    public async ValueTask InitializeAsync()
    {
        _schema = PostgreSqlSchema.Create("gatex");
        _truth = new PostgreSqlInventoryStore(_schema.DataSource, new PostgreSqlInventoryOptions { Schema = _schema.Name });
        await _truth.MigrateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _truth.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task A_flash_sale_of_ten_thousand_buyers_for_one_hundred_units_makes_exactly_one_hundred_reservations_in_postgresql()
    {
        using var gate = NewGate(RedisConnections.Standalone());
        var inventory = Service(gate);
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("flash"), 100, "received", new IdempotencyKey("k")));
        using var start = new ManualResetEventSlim();
        var buyers = Enumerable.Range(0, 10_000).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await inventory.ReserveAsync(new ReservationRequest(new ReservationId($"buyer-{i}"), [new ReservationLine(new Sku("flash"), 1)]));
        })).ToArray();

        start.Set();
        var results = await Task.WhenAll(buyers);

        Assert.Equal(100, results.Count(r => r.IsSuccess));
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal(InventoryErrorCodes.InsufficientStock, r.Error!.Code));
        Assert.Equal(100, await CountReservationsAsync());
        Assert.Equal(new StockLevel(new Sku("flash"), Default, 100, 100, 0), await inventory.GetStockAsync(new Sku("flash")));
        // The database saw (about) the winners only: the losers were answered by Redis.
        Assert.True(gate.Refused >= 9_800, $"the gate refused {gate.Refused}, admitted {gate.Admitted}, bypassed {gate.Bypassed}");
        Assert.Equal(0, await gate.GetCountAsync(new Sku("flash"), Default));
    }

    [Fact]
    public async Task Gate_and_truth_agree_after_restock_release_commit_expiry_and_backorder_changes()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        using var gate = NewGate(RedisConnections.Standalone());
        var inventory = Service(gate, time);
        var sku = new Sku("agree");
        await inventory.AdjustStockAsync(new StockAdjustment(sku, 10, "received", new IdempotencyKey("k1")));
        await AssertAgreeAsync(gate, sku);

        for (var i = 0; i < 8; i++)
        {
            Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId($"r{i}"), [new ReservationLine(sku, 1)]) { Ttl = TimeSpan.FromMinutes(i < 3 ? 1 : 30) })).IsSuccess);
        }

        await AssertAgreeAsync(gate, sku);
        Assert.True((await inventory.ReleaseAsync(new ReservationId("r7"))).IsSuccess);
        await AssertAgreeAsync(gate, sku);
        Assert.True((await inventory.CommitAsync(new ReservationId("r6"))).IsSuccess);
        await AssertAgreeAsync(gate, sku);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(3, await inventory.ExpireDueReservationsAsync());
        await AssertAgreeAsync(gate, sku);
        await inventory.AdjustStockAsync(new StockAdjustment(sku, 5, "restock", new IdempotencyKey("k2")));
        await AssertAgreeAsync(gate, sku);
        await inventory.SetOnHandAsync(new StockCount(sku, 4, "count", new IdempotencyKey("k3")));
        await AssertAgreeAsync(gate, sku);
        await inventory.SetBackorderLimitAsync(sku, 3);
        await AssertAgreeAsync(gate, sku);
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("bo"), [new ReservationLine(sku, 3)]))).IsSuccess);
        await AssertAgreeAsync(gate, sku);
    }

    [Fact]
    public async Task A_lost_gate_is_rebuilt_from_postgresql()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        using var connection = await ConnectAsync(redis);
        using var gate = NewGate(connection);
        var inventory = Service(gate);
        var sku = new Sku("rebuilt");
        await inventory.AdjustStockAsync(new StockAdjustment(sku, 10, "received", new IdempotencyKey("k")));
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r1"), [new ReservationLine(sku, 4)]))).IsSuccess);

        // A restart without persistence, as after a crash: every count is gone.
        redis.Kill();
        await redis.RestartAsync();
        await WaitConnectedAsync(connection);

        Assert.False((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r2"), [new ReservationLine(sku, 7)]))).IsSuccess);
        Assert.Equal(6, await gate.GetCountAsync(sku, Default));
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r3"), [new ReservationLine(sku, 6)]))).IsSuccess);
        await AssertAgreeAsync(gate, sku);
    }

    [Fact]
    public async Task With_redis_down_reservations_fall_back_to_postgresql_and_stay_correct()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        using var connection = await ConnectAsync(redis);
        using var gate = NewGate(connection);
        var inventory = Service(gate);
        var sku = new Sku("down");
        await inventory.AdjustStockAsync(new StockAdjustment(sku, 20, "received", new IdempotencyKey("k")));
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("before"), [new ReservationLine(sku, 5)]))).IsSuccess);

        redis.Kill();
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            inventory.ReserveAsync(new ReservationRequest(new ReservationId($"down-{i}"), [new ReservationLine(sku, 1)])).AsTask()));
        Assert.True((await inventory.ReleaseAsync(new ReservationId("before"))).IsSuccess);

        Assert.Equal(15, results.Count(r => r.IsSuccess));
        Assert.True(gate.Bypassed >= 40);
        Assert.Equal(15, (await inventory.GetStockAsync(sku))!.Reserved);

        await redis.RestartAsync();
        await WaitConnectedAsync(connection);
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("after"), [new ReservationLine(sku, 5)]))).IsSuccess);
        Assert.False((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("too-many"), [new ReservationLine(sku, 1)]))).IsSuccess);
        await AssertAgreeAsync(gate, sku);
    }

    [Fact]
    public async Task Redis_killed_and_restarted_in_the_middle_of_a_load_neither_oversells_nor_loses_a_reservation_and_the_gate_is_rebuilt()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        using var connection = await ConnectAsync(redis);
        using var gate = NewGate(connection);
        var inventory = Service(gate);
        var sku = new Sku("chaos");
        const int Units = 300;
        const int Buyers = 3_000;
        await inventory.AdjustStockAsync(new StockAdjustment(sku, Units, "received", new IdempotencyKey("k")));
        var won = new ConcurrentBag<ReservationId>();
        var released = new ConcurrentBag<ReservationId>();
        var next = -1;

        async Task BuyerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Buyers)
            {
                var id = new ReservationId($"b{i}");
                var result = await inventory.ReserveAsync(new ReservationRequest(id, [new ReservationLine(sku, 1)]));
                if (result.IsSuccess)
                {
                    won.Add(id);
                    if (i % 5 == 0)
                    {
                        // Some buyers walk away, so units come back while Redis is down and after it returns.
                        Assert.True((await inventory.ReleaseAsync(id)).IsSuccess);
                        released.Add(id);
                    }
                }
            }
        }

        var load = Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(BuyerAsync)));
        while (Volatile.Read(ref next) < Buyers / 4)
        {
            await Task.Delay(1);
        }

        redis.Kill();
        while (Volatile.Read(ref next) < Buyers / 2)
        {
            await Task.Delay(1);
        }

        await redis.RestartAsync();
        await load;

        var held = won.Except(released).ToHashSet();
        var level = (await inventory.GetStockAsync(sku))!;
        Assert.InRange(level.Reserved, 0, Units);
        Assert.Equal(held.Count, level.Reserved);
        foreach (var id in held)
        {
            Assert.Equal(ReservationState.Active, (await inventory.GetReservationAsync(id))!.State);
        }

        Assert.Equal(won.Count, await CountReservationsAsync());
        Assert.True(gate.Bypassed > 0, "some reservations must have gone to PostgreSQL alone while Redis was down");
        await WaitConnectedAsync(connection);
        await AssertConvergesAsync(inventory, gate, sku);
    }

    /// <summary>
    /// After a rebuild raced with the load, ordinary traffic brings the gate back to the truth: a stale refusal triggers
    /// a check, and an admission the truth refuses drops the count for a rebuild. Nothing but traffic is done here.
    /// </summary>
    private async Task AssertConvergesAsync(InventoryService inventory, RedisInventoryGate gate, Sku sku)
    {
        long? count = null;
        StockLevel truth = null!;
        for (var i = 0; i < 50; i++)
        {
            truth = (await _truth.GetStockAsync(sku, Default, CancellationToken.None))!;
            count = await gate.GetCountAsync(sku, Default);
            if (count == truth.Reservable)
            {
                return;
            }

            var probe = await inventory.ReserveAsync(new ReservationRequest(new ReservationId($"probe-{i}"), [new ReservationLine(sku, 1)]));
            if (probe.IsSuccess)
            {
                await inventory.ReleaseAsync(probe.Reservation!.Id);
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the gate says {count}, PostgreSQL {truth.Reservable}");
    }

    private RedisInventoryGate NewGate(IConnectionMultiplexer redis) =>
        new(_truth, redis, new RedisGateOptions { KeyPrefix = RedisConnections.NewPrefix("gatex"), VerifyInterval = TimeSpan.FromMilliseconds(200) });

    private static InventoryService Service(RedisInventoryGate gate, TimeProvider? time = null) =>
        new(gate, Options.Create(new InventoryOptions()), time ?? TimeProvider.System);

    /// <summary>The gate admits exactly what PostgreSQL could still reserve (once nothing is in flight).</summary>
    private async Task AssertAgreeAsync(RedisInventoryGate gate, Sku sku)
    {
        var truth = (await _truth.GetStockAsync(sku, Default, CancellationToken.None))!;
        if (await gate.GetCountAsync(sku, Default) is null)
        {
            // No count yet (never asked, or lost with Redis): the next request builds it from the truth.
            Assert.True(await gate.ResyncAsync(sku, Default));
        }

        Assert.Equal(truth.Reservable, await gate.GetCountAsync(sku, Default));
    }

    private async Task<long> CountReservationsAsync()
    {
        await using var command = _schema.DataSource.CreateCommand($"SELECT count(*) FROM {_schema.Name}.inventory_reservations");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(RedisServerProcess redis)
    {
        var options = ConfigurationOptions.Parse(redis.Endpoint);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 1_000;
        options.AsyncTimeout = 1_000;
        options.SyncTimeout = 1_000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private static async Task WaitConnectedAsync(ConnectionMultiplexer connection)
    {
        for (var i = 0; i < 200 && !connection.IsConnected; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(connection.IsConnected, "the connection did not come back");
    }
}
