namespace Commerce.Inventory.Conformance;

public abstract partial class InventoryStoreConformance
{
    public static TheoryData<string, string> BadReservations => new()
    {
        { "empty", InventoryErrorCodes.EmptyReservation },
        { "zero", InventoryErrorCodes.InvalidQuantity },
        { "negative", InventoryErrorCodes.InvalidQuantity },
        { "absurd", InventoryErrorCodes.InvalidQuantity },
        { "duplicate", InventoryErrorCodes.DuplicateLine },
        { "duplicate-default-location", InventoryErrorCodes.DuplicateLine },
        { "too-many-lines", InventoryErrorCodes.TooManyLines },
        { "zero-ttl", InventoryErrorCodes.InvalidTtl },
        { "past-ttl", InventoryErrorCodes.InvalidTtl },
        { "absurd-ttl", InventoryErrorCodes.InvalidTtl },
    };

    [Theory]
    [MemberData(nameof(BadReservations))]
    public async Task A_bad_reservation_is_rejected_with_a_stable_code_and_writes_nothing(string shape, string code)
    {
        await ReceiveAsync("sku-a", 10);
        await ReceiveAsync("sku-b", 10);
        var id = new ReservationId("bad");
        var a = new Sku("sku-a");
        ReservationRequest request = shape switch
        {
            "empty" => new(id, []),
            "zero" => new(id, [new ReservationLine(a, 0)]),
            "negative" => new(id, [new ReservationLine(a, -1)]),
            "absurd" => new(id, [new ReservationLine(a, long.MaxValue)]),
            "duplicate" => new(id, [new ReservationLine(a, 1), new ReservationLine(new Sku("sku-b"), 1), new ReservationLine(a, 2)]),
            "duplicate-default-location" => new(id, [new ReservationLine(a, 1), new ReservationLine(a, 1) { Location = new LocationId("default") }]),
            "too-many-lines" => new(id, Enumerable.Range(0, 101).Select(i => new ReservationLine(new Sku($"s{i}"), 1)).ToArray()),
            "zero-ttl" => new(id, [new ReservationLine(a, 1)]) { Ttl = TimeSpan.Zero },
            "past-ttl" => new(id, [new ReservationLine(a, 1)]) { Ttl = TimeSpan.FromMinutes(-5) },
            "absurd-ttl" => new(id, [new ReservationLine(a, 1)]) { Ttl = TimeSpan.FromDays(400) },
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };

        await AssertErrorAsync(code, async () => await Inventory.ReserveAsync(request));

        Assert.Null(await Inventory.GetReservationAsync(id));
        Assert.Equal(0, (await StockAsync("sku-a")).Reserved);
        Assert.Equal(0, (await StockAsync("sku-b")).Reserved);
    }

    [Fact]
    public async Task Bad_stock_changes_are_rejected_with_stable_codes_and_write_nothing()
    {
        await ReceiveAsync("sku-a", 10);
        var key = new IdempotencyKey("k");

        await AssertErrorAsync(InventoryErrorCodes.InvalidQuantity,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), 0, "nothing", key)));
        await AssertErrorAsync(InventoryErrorCodes.InvalidQuantity,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), long.MinValue, "absurd", key)));
        await AssertErrorAsync(InventoryErrorCodes.InvalidQuantity,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), 10_000_000_000, "absurd", key)));
        await AssertErrorAsync(InventoryErrorCodes.InvalidQuantity,
            async () => await Inventory.SetOnHandAsync(new StockCount(new Sku("sku-a"), -1, "count", key)));
        await AssertErrorAsync(InventoryErrorCodes.InvalidReason,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), 1, " ", key)));
        await AssertErrorAsync(InventoryErrorCodes.InvalidReason,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), 1, new string('r', 201), key)));
        await AssertErrorAsync(InventoryErrorCodes.InvalidQuantity,
            async () => await Inventory.SetBackorderLimitAsync(new Sku("sku-a"), -1));
        await AssertErrorAsync(CoreErrorCodes.InvalidIdentifier,
            async () => await Inventory.AdjustStockAsync(new StockAdjustment(default, 1, "no sku", key)));

        Assert.Equal(new StockLevel(new Sku("sku-a"), new LocationId("default"), 10, 0, 0), await StockAsync("sku-a"));
        Assert.Single(await Inventory.ReadMovementsAsync(new Sku("sku-a")).ToListAsync());
        // The key was never consumed by a rejected change.
        Assert.False((await Inventory.AdjustStockAsync(new StockAdjustment(new Sku("sku-a"), 1, "ok", key))).IsReplay);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("ünïcode")]
    public void Malformed_ids_are_rejected_when_built(string value)
    {
        var exception = Assert.Throws<CommerceValidationException>(() => new Sku(value));
        Assert.Equal(CoreErrorCodes.InvalidIdentifier, exception.Code);
    }

    [Fact]
    public void Over_long_ids_are_rejected_when_built()
    {
        Assert.Equal(CoreErrorCodes.InvalidIdentifier, Assert.Throws<CommerceValidationException>(() => new Sku(new string('s', Sku.MaxLength + 1))).Code);
        Assert.Equal(CoreErrorCodes.InvalidIdentifier,
            Assert.Throws<CommerceValidationException>(() => new ReservationId(new string('r', ReservationId.MaxLength + 1))).Code);
        Assert.Equal(Sku.MaxLength, new Sku(new string('s', Sku.MaxLength)).Value.Length);
    }

    [Fact]
    public async Task The_longest_ids_round_trip_through_the_store()
    {
        var sku = new string('s', Sku.MaxLength);
        var location = new string('l', LocationId.MaxLength);
        var id = new string('r', ReservationId.MaxLength);
        await ReceiveAsync(sku, 5, location);

        var result = await Inventory.ReserveAsync(new ReservationRequest(new ReservationId(id),
            [new ReservationLine(new Sku(sku), 2) { Location = new LocationId(location) }]));

        Assert.True(result.IsSuccess);
        Assert.Equal(2, (await StockAsync(sku, location)).Reserved);
        Assert.True((await Inventory.CommitAsync(new ReservationId(id))).IsSuccess);
    }
}
