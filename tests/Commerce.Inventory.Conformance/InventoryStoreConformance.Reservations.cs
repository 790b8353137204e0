namespace Commerce.Inventory.Conformance;

public abstract partial class InventoryStoreConformance
{
    [Fact]
    public async Task Reserving_holds_stock_until_the_default_deadline()
    {
        await ReceiveAsync("sku-a", 10);

        var result = await ReserveAsync("r1", "sku-a", 3);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.False(result.IsReplay);
        var reservation = result.Reservation!;
        Assert.Equal(ReservationState.Active, reservation.State);
        Assert.Equal(Time.GetUtcNow(), reservation.CreatedAt);
        Assert.Equal(Time.GetUtcNow() + TimeSpan.FromMinutes(15), reservation.ExpiresAt);
        Assert.Equal([new ReservedLine(new Sku("sku-a"), new LocationId("default"), 3)], reservation.Lines);
        Assert.Equal(new StockLevel(new Sku("sku-a"), new LocationId("default"), 10, 3, 0), await StockAsync("sku-a"));
        Assert.Equal(reservation, await Inventory.GetReservationAsync(new ReservationId("r1")));
    }

    [Fact]
    public async Task A_request_may_override_the_ttl()
    {
        await ReceiveAsync("sku-a", 10);

        var result = await ReserveAsync("r1", "sku-a", 1, TimeSpan.FromSeconds(90));

        Assert.Equal(Time.GetUtcNow() + TimeSpan.FromSeconds(90), result.Reservation!.ExpiresAt);
    }

    [Fact]
    public async Task A_multi_line_reservation_is_all_or_nothing_and_reports_every_line()
    {
        await ReceiveAsync("sku-a", 10);
        await ReceiveAsync("sku-b", 1);
        await ReceiveAsync("sku-c", 5, "cairo");
        var request = new ReservationRequest(new ReservationId("r1"),
        [
            new ReservationLine(new Sku("sku-a"), 4),
            new ReservationLine(new Sku("sku-b"), 2),
            new ReservationLine(new Sku("sku-c"), 5) { Location = new LocationId("cairo") },
        ]);

        var refused = await Inventory.ReserveAsync(request);

        Assert.False(refused.IsSuccess);
        Assert.Equal(InventoryErrorCodes.InsufficientStock, refused.Error!.Code);
        Assert.Equal(
            [
                new LineAvailability(new Sku("sku-a"), new LocationId("default"), 4, 10),
                new LineAvailability(new Sku("sku-b"), new LocationId("default"), 2, 1),
                new LineAvailability(new Sku("sku-c"), new LocationId("cairo"), 5, 5),
            ],
            refused.Availability);
        Assert.Equal(0, (await StockAsync("sku-a")).Reserved);
        Assert.Equal(0, (await StockAsync("sku-c", "cairo")).Reserved);
        Assert.Null(await Inventory.GetReservationAsync(new ReservationId("r1")));

        await ReceiveAsync("sku-b", 1);
        var accepted = await Inventory.ReserveAsync(request);
        Assert.True(accepted.IsSuccess, "a refused id stays free for a retry");
        Assert.Equal(4, (await StockAsync("sku-a")).Reserved);
        Assert.Equal(2, (await StockAsync("sku-b")).Reserved);
        Assert.Equal(5, (await StockAsync("sku-c", "cairo")).Reserved);
    }

    [Fact]
    public async Task An_unknown_sku_is_rejected_and_nothing_is_held()
    {
        await ReceiveAsync("sku-a", 10);
        var request = new ReservationRequest(new ReservationId("r1"),
            [new ReservationLine(new Sku("sku-a"), 1), new ReservationLine(new Sku("ghost"), 1)]);

        await AssertErrorAsync(InventoryErrorCodes.UnknownSku, async () => await Inventory.ReserveAsync(request));

        Assert.Equal(0, (await StockAsync("sku-a")).Reserved);
        Assert.Null(await Inventory.GetReservationAsync(new ReservationId("r1")));
    }

    [Fact]
    public async Task Replaying_a_reservation_returns_the_first_outcome_and_holds_nothing_more()
    {
        await ReceiveAsync("sku-a", 10);
        var first = await ReserveAsync("r1", "sku-a", 3);
        Time.Advance(TimeSpan.FromMinutes(1));

        var replay = await ReserveAsync("r1", "sku-a", 3);

        Assert.True(replay.IsSuccess);
        Assert.True(replay.IsReplay);
        Assert.Equal(first.Reservation, replay.Reservation);
        Assert.Equal(3, (await StockAsync("sku-a")).Reserved);
    }

    [Fact]
    public async Task A_reservation_id_reused_with_another_body_is_rejected_and_changes_nothing()
    {
        await ReceiveAsync("sku-a", 10);
        await ReceiveAsync("sku-b", 10);
        await ReserveAsync("r1", "sku-a", 3);

        await AssertErrorAsync(InventoryErrorCodes.IdempotencyKeyReused, async () => await ReserveAsync("r1", "sku-a", 4));
        await AssertErrorAsync(InventoryErrorCodes.IdempotencyKeyReused, async () => await ReserveAsync("r1", "sku-b", 3));
        await AssertErrorAsync(InventoryErrorCodes.IdempotencyKeyReused, async () => await ReserveAsync("r1", "sku-a", 3, TimeSpan.FromMinutes(1)));

        Assert.Equal(3, (await StockAsync("sku-a")).Reserved);
        Assert.Equal(0, (await StockAsync("sku-b")).Reserved);
    }

    [Fact]
    public async Task Committing_sells_the_units_and_is_idempotent()
    {
        await ReceiveAsync("sku-a", 10);
        await ReserveAsync("r1", "sku-a", 3);

        var committed = await Inventory.CommitAsync(new ReservationId("r1"));
        var again = await Inventory.CommitAsync(new ReservationId("r1"));

        Assert.True(committed.IsSuccess);
        Assert.Equal(ReservationState.Committed, committed.Reservation!.State);
        Assert.True(again.IsSuccess);
        Assert.True(again.IsReplay);
        Assert.Equal(new StockLevel(new Sku("sku-a"), new LocationId("default"), 7, 0, 0), await StockAsync("sku-a"));
        await AssertLedgerRebuildsAsync("sku-a");
    }

    [Fact]
    public async Task Releasing_returns_the_units_and_is_idempotent()
    {
        await ReceiveAsync("sku-a", 10);
        await ReserveAsync("r1", "sku-a", 3);

        var released = await Inventory.ReleaseAsync(new ReservationId("r1"));
        var again = await Inventory.ReleaseAsync(new ReservationId("r1"));

        Assert.Equal(ReservationState.Released, released.Reservation!.State);
        Assert.True(again is { IsSuccess: true, IsReplay: true });
        Assert.Equal(new StockLevel(new Sku("sku-a"), new LocationId("default"), 10, 0, 0), await StockAsync("sku-a"));
        await AssertLedgerRebuildsAsync("sku-a");
    }

    [Fact]
    public async Task A_finished_reservation_cannot_take_the_other_final_state()
    {
        await ReceiveAsync("sku-a", 10);
        await ReserveAsync("r1", "sku-a", 3);
        await ReserveAsync("r2", "sku-a", 3);
        await Inventory.CommitAsync(new ReservationId("r1"));
        await Inventory.ReleaseAsync(new ReservationId("r2"));

        var release = await Inventory.ReleaseAsync(new ReservationId("r1"));
        var commit = await Inventory.CommitAsync(new ReservationId("r2"));
        var extend = await Inventory.ExtendAsync(new ReservationId("r1"), TimeSpan.FromMinutes(5));

        Assert.Equal(InventoryErrorCodes.ReservationNotActive, release.Error!.Code);
        Assert.Equal(ReservationState.Committed, release.Reservation!.State);
        Assert.Equal(InventoryErrorCodes.ReservationNotActive, commit.Error!.Code);
        Assert.Equal(InventoryErrorCodes.ReservationNotActive, extend.Error!.Code);
        Assert.Equal(new StockLevel(new Sku("sku-a"), new LocationId("default"), 7, 0, 0), await StockAsync("sku-a"));
    }

    [Fact]
    public async Task Operations_on_an_unknown_reservation_throw_not_found()
    {
        var id = new ReservationId("missing");

        await AssertErrorAsync(InventoryErrorCodes.ReservationNotFound, async () => await Inventory.CommitAsync(id));
        await AssertErrorAsync(InventoryErrorCodes.ReservationNotFound, async () => await Inventory.ReleaseAsync(id));
        await AssertErrorAsync(InventoryErrorCodes.ReservationNotFound, async () => await Inventory.ExtendAsync(id, TimeSpan.FromMinutes(1)));
        Assert.Null(await Inventory.GetReservationAsync(id));
    }

    [Fact]
    public async Task Extending_moves_the_deadline_and_never_shortens_it()
    {
        await ReceiveAsync("sku-a", 10);
        await ReserveAsync("r1", "sku-a", 1, TimeSpan.FromMinutes(2));
        Time.Advance(TimeSpan.FromMinutes(1));

        var extended = await Inventory.ExtendAsync(new ReservationId("r1"), TimeSpan.FromMinutes(10));
        var notShortened = await Inventory.ExtendAsync(new ReservationId("r1"), TimeSpan.FromMinutes(1));

        Assert.Equal(Time.GetUtcNow() + TimeSpan.FromMinutes(10), extended.Reservation!.ExpiresAt);
        Assert.Equal(extended.Reservation.ExpiresAt, notShortened.Reservation!.ExpiresAt);
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await Inventory.ExpireDueReservationsAsync());
        Assert.True((await Inventory.CommitAsync(new ReservationId("r1"))).IsSuccess);
    }

    [Fact]
    public async Task Past_its_deadline_a_reservation_can_be_released_but_not_committed_or_extended()
    {
        await ReceiveAsync("sku-a", 10);
        await ReserveAsync("r1", "sku-a", 2, TimeSpan.FromMinutes(1));
        await ReserveAsync("r2", "sku-a", 2, TimeSpan.FromMinutes(1));
        Time.Advance(TimeSpan.FromMinutes(1));

        var commit = await Inventory.CommitAsync(new ReservationId("r1"));
        var extend = await Inventory.ExtendAsync(new ReservationId("r1"), TimeSpan.FromMinutes(5));
        var release = await Inventory.ReleaseAsync(new ReservationId("r2"));

        Assert.Equal(InventoryErrorCodes.ReservationExpired, commit.Error!.Code);
        Assert.Equal(InventoryErrorCodes.ReservationExpired, extend.Error!.Code);
        Assert.True(release.IsSuccess);
        Assert.Equal(2, (await StockAsync("sku-a")).Reserved);
    }

    [Fact]
    public async Task The_sweeper_expires_due_reservations_once_and_returns_their_stock()
    {
        await ReceiveAsync("sku-a", 10);
        await ReserveAsync("short", "sku-a", 2, TimeSpan.FromMinutes(1));
        await ReserveAsync("long", "sku-a", 3, TimeSpan.FromMinutes(30));
        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(1, await Inventory.ExpireDueReservationsAsync());
        Assert.Equal(0, await Inventory.ExpireDueReservationsAsync());

        Assert.Equal(ReservationState.Expired, (await Inventory.GetReservationAsync(new ReservationId("short")))!.State);
        Assert.Equal(ReservationState.Active, (await Inventory.GetReservationAsync(new ReservationId("long")))!.State);
        Assert.Equal(3, (await StockAsync("sku-a")).Reserved);
        var commit = await Inventory.CommitAsync(new ReservationId("short"));
        Assert.Equal(InventoryErrorCodes.ReservationExpired, commit.Error!.Code);
        Assert.True((await Inventory.ReleaseAsync(new ReservationId("short"))).IsSuccess);
        Assert.True((await ReserveAsync("short", "sku-a", 2, TimeSpan.FromMinutes(1))).IsReplay);
        await AssertLedgerRebuildsAsync("sku-a");
    }

    [Fact]
    public async Task Concurrent_sweepers_expire_each_reservation_exactly_once()
    {
        await ReceiveAsync("sku-a", 1_000);
        for (var i = 0; i < 200; i++)
        {
            await ReserveAsync($"r{i}", "sku-a", 1, TimeSpan.FromMinutes(1));
        }

        Time.Advance(TimeSpan.FromMinutes(2));
        var service = CreateService(Store, new InventoryOptions { ExpiryBatchSize = 7 });
        var sweepers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var total = 0;
            int expired;
            while ((expired = await service.ExpireDueReservationsAsync()) > 0)
            {
                Assert.InRange(expired, 1, 7);
                total += expired;
            }

            return total;
        }));

        var totals = await Task.WhenAll(sweepers);

        Assert.Equal(200, totals.Sum());
        Assert.Equal(0, (await StockAsync("sku-a")).Reserved);
        await AssertLedgerRebuildsAsync("sku-a");
    }
}
