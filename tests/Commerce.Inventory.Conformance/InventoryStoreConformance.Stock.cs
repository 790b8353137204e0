namespace Commerce.Inventory.Conformance;

public abstract partial class InventoryStoreConformance
{
    [Fact]
    public async Task Receiving_stock_creates_the_row_and_records_a_movement()
    {
        var level = await ReceiveAsync("sku-a", 10);

        Assert.Equal(10, level.OnHand);
        Assert.Equal(0, level.Reserved);
        Assert.Equal(10, level.Available);
        Assert.Equal(level, await StockAsync("sku-a"));
        var movement = Assert.Single(await Inventory.ReadMovementsAsync(new Sku("sku-a")).ToListAsync());
        Assert.Equal(StockMovementKind.Adjusted, movement.Kind);
        Assert.Equal(10, movement.OnHandDelta);
        Assert.Equal("received", movement.Reason);
    }

    [Fact]
    public async Task Unknown_stock_is_null()
    {
        Assert.Null(await Inventory.GetStockAsync(new Sku("nothing-here")));
    }

    [Fact]
    public async Task Stock_is_kept_per_location()
    {
        await ReceiveAsync("sku-a", 5, "lagos");
        await ReceiveAsync("sku-a", 7, "cairo");

        Assert.Equal(5, (await StockAsync("sku-a", "lagos")).OnHand);
        Assert.Equal(7, (await StockAsync("sku-a", "cairo")).OnHand);
        Assert.Null(await Inventory.GetStockAsync(new Sku("sku-a")));
        await AssertLedgerRebuildsAsync("sku-a", "lagos", "cairo");
    }

    [Fact]
    public async Task Replaying_an_adjustment_returns_the_first_outcome_and_changes_nothing()
    {
        var adjustment = new StockAdjustment(new Sku("sku-a"), 10, "delivery 42", new IdempotencyKey("delivery-42"));
        var first = await Inventory.AdjustStockAsync(adjustment);
        await ReceiveAsync("sku-a", 5);

        var replay = await Inventory.AdjustStockAsync(adjustment);

        Assert.False(first.IsReplay);
        Assert.True(replay.IsReplay);
        Assert.Equal(first.Stock, replay.Stock);
        Assert.Equal(15, (await StockAsync("sku-a")).OnHand);
    }

    [Fact]
    public async Task An_adjustment_key_reused_with_another_body_is_rejected_and_changes_nothing()
    {
        await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), 10, "delivery", new IdempotencyKey("k1")));

        await AssertErrorAsync(InventoryErrorCodes.IdempotencyKeyReused,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), 11, "delivery", new IdempotencyKey("k1"))));
        await AssertErrorAsync(InventoryErrorCodes.IdempotencyKeyReused,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-b"), 10, "delivery", new IdempotencyKey("k1"))));

        Assert.Equal(10, (await StockAsync("sku-a")).OnHand);
        Assert.Null(await Inventory.GetStockAsync(new Sku("sku-b")));
    }

    [Fact]
    public async Task Removing_more_than_is_on_hand_is_rejected_and_changes_nothing()
    {
        await ReceiveAsync("sku-a", 3);

        await AssertErrorAsync(InventoryErrorCodes.InvalidAdjustment,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), -4, "damaged", new IdempotencyKey("d1"))));
        await AssertErrorAsync(InventoryErrorCodes.InvalidAdjustment,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("never-received"), -1, "damaged", new IdempotencyKey("d2"))));

        Assert.Equal(3, (await StockAsync("sku-a")).OnHand);
        Assert.Null(await Inventory.GetStockAsync(new Sku("never-received")));
        Assert.Single(await Inventory.ReadMovementsAsync(new Sku("sku-a")).ToListAsync());
    }

    [Fact]
    public async Task Removing_stock_that_live_reservations_hold_is_rejected()
    {
        await ReceiveAsync("sku-a", 10);
        Assert.True((await ReserveAsync("r1", "sku-a", 8)).IsSuccess);

        await AssertErrorAsync(InventoryErrorCodes.InvalidAdjustment,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), -3, "damaged", new IdempotencyKey("d1"))));
        var removed = await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), -2, "damaged", new IdempotencyKey("d2")));

        Assert.Equal(new StockLevel(new Sku("sku-a"), new LocationId("default"), 8, 8, 0), removed.Stock);
    }

    [Fact]
    public async Task A_sync_sets_on_hand_and_keeps_live_reservations()
    {
        await ReceiveAsync("sku-a", 10);
        Assert.True((await ReserveAsync("r1", "sku-a", 4)).IsSuccess);

        var synced = await Inventory.SetOnHandAsync(new StockCount(new Sku("sku-a"), 25, "nightly count", new IdempotencyKey("count-1")));

        Assert.Equal(25, synced.Stock.OnHand);
        Assert.Equal(4, synced.Stock.Reserved);
        Assert.Equal(21, synced.Stock.Available);
        Assert.Equal(0, synced.Shortfall);
        Assert.True((await Inventory.CommitAsync(new ReservationId("r1"))).IsSuccess);
        Assert.Equal(21, (await StockAsync("sku-a")).OnHand);
        await AssertLedgerRebuildsAsync("sku-a");
    }

    [Fact]
    public async Task A_sync_below_reserved_reports_the_shortfall_and_blocks_new_reservations()
    {
        await ReceiveAsync("sku-a", 10);
        Assert.True((await ReserveAsync("r1", "sku-a", 6)).IsSuccess);

        var synced = await Inventory.SetOnHandAsync(new StockCount(new Sku("sku-a"), 4, "cycle count", new IdempotencyKey("count-1")));

        Assert.Equal(2, synced.Shortfall);
        Assert.False((await ReserveAsync("r2", "sku-a", 1)).IsSuccess);
        Assert.True((await Inventory.ReleaseAsync(new ReservationId("r1"))).IsSuccess);
        Assert.Equal(new StockLevel(new Sku("sku-a"), new LocationId("default"), 4, 0, 0), await StockAsync("sku-a"));
        await AssertLedgerRebuildsAsync("sku-a");
    }

    [Fact]
    public async Task A_sync_of_a_new_sku_creates_it()
    {
        var synced = await Inventory.SetOnHandAsync(new StockCount(new Sku("sku-new"), 7, "import", new IdempotencyKey("import-1")));
        var replay = await Inventory.SetOnHandAsync(new StockCount(new Sku("sku-new"), 7, "import", new IdempotencyKey("import-1")));

        Assert.Equal(7, synced.Stock.OnHand);
        Assert.True(replay.IsReplay);
        await AssertLedgerRebuildsAsync("sku-new");
    }

    [Fact]
    public async Task Backorders_are_denied_by_default_and_allowed_up_to_the_limit()
    {
        await ReceiveAsync("sku-a", 2);
        Assert.False((await ReserveAsync("r1", "sku-a", 3)).IsSuccess);

        var level = await Inventory.SetBackorderLimitAsync(new Sku("sku-a"), 5);
        Assert.Equal(5, level.BackorderLimit);

        Assert.True((await ReserveAsync("r2", "sku-a", 6)).IsSuccess);
        var refused = await ReserveAsync("r3", "sku-a", 2);
        Assert.False(refused.IsSuccess);
        Assert.Equal(1, Assert.Single(refused.Availability).Available);
        Assert.True((await ReserveAsync("r4", "sku-a", 1)).IsSuccess);
        Assert.Equal(-5, (await StockAsync("sku-a")).Available);
    }

    [Fact]
    public async Task Backorder_limit_of_an_unknown_sku_is_rejected()
    {
        await AssertErrorAsync(InventoryErrorCodes.UnknownSku, async () => await Inventory.SetBackorderLimitAsync(new Sku("ghost"), 3));
        Assert.Null(await Inventory.GetStockAsync(new Sku("ghost")));
    }
}
