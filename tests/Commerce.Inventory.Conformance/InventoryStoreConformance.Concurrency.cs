namespace Commerce.Inventory.Conformance;

public abstract partial class InventoryStoreConformance
{
    /// <summary>How many buyers race in the flash-sale test.</summary>
    protected virtual int FlashSaleBuyers => 10_000;

    [Fact]
    public async Task Flash_sale_ten_thousand_buyers_for_one_hundred_units_sells_exactly_one_hundred()
    {
        await ReceiveAsync("flash", 100);
        using var start = new ManualResetEventSlim();
        var buyers = Enumerable.Range(0, FlashSaleBuyers).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await ReserveAsync($"buyer-{i}", "flash", 1);
        })).ToArray();

        start.Set();
        var results = await Task.WhenAll(buyers);

        var winners = results.Where(r => r.IsSuccess).ToArray();
        Assert.Equal(100, winners.Length);
        Assert.All(results.Where(r => !r.IsSuccess), r =>
        {
            Assert.Equal(InventoryErrorCodes.InsufficientStock, r.Error!.Code);
            Assert.Equal(0, Assert.Single(r.Availability).Available);
        });
        Assert.Equal(new StockLevel(new Sku("flash"), new LocationId("default"), 100, 100, 0), await StockAsync("flash"));

        // Half the winners pay, half walk away: nothing stays reserved.
        await Parallel.ForEachAsync(winners.Select((r, i) => (r.Reservation!.Id, i)), async (w, ct) =>
        {
            var outcome = w.i % 2 == 0 ? await Inventory.CommitAsync(w.Id, ct) : await Inventory.ReleaseAsync(w.Id, ct);
            Assert.True(outcome.IsSuccess, outcome.ToString());
        });

        Assert.Equal(new StockLevel(new Sku("flash"), new LocationId("default"), 50, 0, 0), await StockAsync("flash"));
        await AssertLedgerRebuildsAsync("flash");
    }

    [Fact]
    public async Task Concurrent_copies_of_one_request_hold_stock_once()
    {
        await ReceiveAsync("sku-a", 1_000);
        await ReceiveAsync("sku-b", 1_000);
        var request = new ReservationRequest(new ReservationId("same"),
            [new ReservationLine(new Sku("sku-a"), 5), new ReservationLine(new Sku("sku-b"), 7)]);

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(async () => await Inventory.ReserveAsync(request))));

        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(1, results.Count(r => !r.IsReplay));
        Assert.Equal(5, (await StockAsync("sku-a")).Reserved);
        Assert.Equal(7, (await StockAsync("sku-b")).Reserved);
    }

    [Fact]
    public async Task Reservations_over_the_same_skus_in_opposite_orders_neither_deadlock_nor_oversell()
    {
        string[] skus = ["x-1", "x-2", "x-3", "x-4"];
        foreach (var sku in skus)
        {
            await ReceiveAsync(sku, 300);
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 800).Select(i => Task.Run(async () =>
        {
            var ordered = i % 2 == 0 ? skus : [.. skus.Reverse()];
            var lines = ordered.Take(2 + (i % 3)).Select(s => new ReservationLine(new Sku(s), 1)).ToArray();
            return (Lines: lines, Result: await Inventory.ReserveAsync(new ReservationRequest(new ReservationId($"m-{i}"), lines)));
        })));

        foreach (var sku in skus)
        {
            var held = results.Where(r => r.Result.IsSuccess).Sum(r => r.Lines.Count(l => l.Sku.Value == sku));
            var level = await StockAsync(sku);
            Assert.Equal(held, level.Reserved);
            Assert.InRange(level.Reserved, 0, 300);
            await AssertLedgerRebuildsAsync(sku);
        }
    }
}
