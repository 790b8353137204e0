using Commerce.Inventory;
using Commerce.Redis.Inventory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Commerce.Redis.Tests.Inventory;

/// <summary>Reservations whose SKUs live in different Redis Cluster slots: all or nothing, and safe when a caller dies between steps.</summary>
public sealed class RedisClusterReservationTests
{
    private static readonly LocationId Default = new("default");

    [Fact]
    public async Task Concurrent_reservations_across_slots_are_all_or_nothing()
    {
        var (store, inventory) = Create(new RedisInventoryOptions { KeyPrefix = RedisConnections.NewPrefix("xs"), Shards = 16 });
        var skus = DistinctShardSkus(store, 6);
        foreach (var sku in skus)
        {
            await inventory.AdjustStockAsync(new StockAdjustment(sku, 40, "received", new IdempotencyKey($"k-{sku}")));
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Task.Run(async () =>
        {
            var lines = skus.Skip(i % skus.Length).Concat(skus).Take(2 + (i % 3)).Select(s => new ReservationLine(s, 1 + (i % 2))).ToArray();
            var id = new ReservationId($"x{i}");
            return (Id: id, Lines: lines, Result: await inventory.ReserveAsync(new ReservationRequest(id, lines)));
        })));

        Assert.Contains(results, r => r.Result.IsSuccess);
        Assert.Contains(results, r => !r.Result.IsSuccess);
        foreach (var sku in skus)
        {
            var held = results.Where(r => r.Result.IsSuccess).Sum(r => r.Lines.Where(l => l.Sku == sku).Sum(l => l.Quantity));
            var level = (await inventory.GetStockAsync(sku))!;
            Assert.Equal(held, level.Reserved);
            Assert.InRange(level.Reserved, 0, 40);
            var rebuilt = await inventory.RebuildFromLedgerAsync(sku);
            Assert.Equal((level.OnHand, level.Reserved), rebuilt[Default]);
        }

        foreach (var refused in results.Where(r => !r.Result.IsSuccess))
        {
            Assert.Null(await inventory.GetReservationAsync(refused.Id));
        }
    }

    [Fact]
    public async Task A_caller_that_dies_after_holding_leaves_nothing_once_the_sweeper_rolls_it_back()
    {
        var options = new RedisInventoryOptions { KeyPrefix = RedisConnections.NewPrefix("xd"), Shards = 16, PendingTimeout = TimeSpan.FromMilliseconds(300) };
        var (store, inventory) = Create(options);
        var skus = DistinctShardSkus(store, 2);
        foreach (var sku in skus)
        {
            await inventory.AdjustStockAsync(new StockAdjustment(sku, 5, "received", new IdempotencyKey($"k-{sku}")));
        }

        var id = IdInAnotherShard(store, skus);
        var db = RedisConnections.Cluster().GetDatabase();
        var now = RedisInventoryStore.Micros(TimeProvider.System.GetUtcNow());
        var expires = RedisInventoryStore.Micros(TimeProvider.System.GetUtcNow().AddMinutes(15));
        var lines = $"{skus[0]} default 2 {skus[1]} default 3";
        // Steps 1 and 2 of the protocol, then the caller "dies" before confirming.
        Assert.Equal(0, (int)((RedisResult[])(await db.ScriptEvaluateAsync(InventoryScripts.Begin, ShardKey(store, options, id),
            [id, Guid.NewGuid().ToString("N"), now, expires, "tok", lines, 300]))!)[0]);
        Assert.Equal(0, (int)((RedisResult[])(await db.ScriptEvaluateAsync(InventoryScripts.Hold, ShardKey(store, options, skus[0].Value),
            [id, "tok", now, 1, skus[0].Value, "default", 2]))!)[0]);

        Assert.Null(await inventory.GetReservationAsync(new ReservationId(id)));
        Assert.Equal(2, (await inventory.GetStockAsync(skus[0]))!.Reserved);
        await Task.Delay(400);
        await inventory.ExpireDueReservationsAsync();

        Assert.Equal(0, (await inventory.GetStockAsync(skus[0]))!.Reserved);
        Assert.Equal(0, (await inventory.GetStockAsync(skus[1]))!.Reserved);
        // The dead caller's late hold is refused by the tombstone, and the id is free again.
        Assert.Equal(6, (int)((RedisResult[])(await db.ScriptEvaluateAsync(InventoryScripts.Hold, ShardKey(store, options, skus[1].Value),
            [id, "tok", now, 1, skus[1].Value, "default", 3]))!)[0]);
        var retry = await inventory.ReserveAsync(new ReservationRequest(new ReservationId(id), [new ReservationLine(skus[0], 2), new ReservationLine(skus[1], 3)]));
        Assert.True(retry.IsSuccess, retry.ToString());
        Assert.Equal(2, (await inventory.GetStockAsync(skus[0]))!.Reserved);
        Assert.Equal(3, (await inventory.GetStockAsync(skus[1]))!.Reserved);
    }

    [Fact]
    public async Task A_commit_decided_but_not_applied_by_a_dead_caller_is_applied_by_the_sweeper()
    {
        var options = new RedisInventoryOptions { KeyPrefix = RedisConnections.NewPrefix("xc"), Shards = 16, SettleGrace = TimeSpan.FromMilliseconds(200) };
        var (store, inventory) = Create(options);
        var skus = DistinctShardSkus(store, 2);
        foreach (var sku in skus)
        {
            await inventory.AdjustStockAsync(new StockAdjustment(sku, 5, "received", new IdempotencyKey($"k-{sku}")));
        }

        var id = IdInAnotherShard(store, skus);
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId(id), [new ReservationLine(skus[0], 2), new ReservationLine(skus[1], 1)]))).IsSuccess);
        // Only the decision step of a commit, as if the caller died right after it.
        var db = RedisConnections.Cluster().GetDatabase();
        await db.ScriptEvaluateAsync(InventoryScripts.Finish, ShardKey(store, options, id), [id, RedisInventoryStore.Micros(TimeProvider.System.GetUtcNow()), "1", "1"]);

        Assert.Equal(ReservationState.Committed, (await inventory.GetReservationAsync(new ReservationId(id)))!.State);
        Assert.Equal(2, (await inventory.GetStockAsync(skus[0]))!.Reserved);
        await Task.Delay(300);
        await inventory.ExpireDueReservationsAsync();

        Assert.Equal(new StockLevel(skus[0], Default, 3, 0, 0), await inventory.GetStockAsync(skus[0]));
        Assert.Equal(new StockLevel(skus[1], Default, 4, 0, 0), await inventory.GetStockAsync(skus[1]));
        Assert.True((await inventory.CommitAsync(new ReservationId(id))).IsReplay);
        Assert.Equal((3L, 0L), (await inventory.RebuildFromLedgerAsync(skus[0]))[Default]);
    }

    private static (RedisInventoryStore Store, InventoryService Inventory) Create(RedisInventoryOptions options)
    {
        var store = new RedisInventoryStore(RedisConnections.Cluster(), options);
        return (store, new InventoryService(store, Options.Create(new InventoryOptions()), TimeProvider.System));
    }

    private static Sku[] DistinctShardSkus(RedisInventoryStore store, int count) =>
        Enumerable.Range(0, 1_000).Select(i => new Sku($"sku-{i}")).DistinctBy(store.ShardOf).Take(count).ToArray();

    private static string IdInAnotherShard(RedisInventoryStore store, Sku[] skus) =>
        Enumerable.Range(0, 1_000).Select(i => $"res-{i}").First(id => skus.All(s => store.ShardOf(s) != store.ShardOf(id)));

    private static RedisKey[] ShardKey(RedisInventoryStore store, RedisInventoryOptions options, string value) =>
        [new RedisKey($"{options.KeyPrefix}inv:{{{store.ShardOf(value)}}}:")];
}
