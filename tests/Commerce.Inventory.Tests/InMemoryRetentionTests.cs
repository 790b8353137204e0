using Commerce.Inventory.InMemory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Inventory.Tests;

public sealed class InMemoryRetentionTests
{
    [Fact]
    public async Task Finished_reservations_and_old_idempotency_keys_are_forgotten_after_the_retention_window()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var store = new InMemoryInventoryStore(recordEvents: false, retention: TimeSpan.FromHours(1), timeProvider: time);
        var inventory = new InventoryService(store, Options.Create(new InventoryOptions()), time);
        var receive = new StockAdjustment(new Sku("s"), 5, "received", new IdempotencyKey("k"));
        await inventory.AdjustStockAsync(receive);
        await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r"), [new ReservationLine(new Sku("s"), 1)]));
        await inventory.CommitAsync(new ReservationId("r"));

        time.Advance(TimeSpan.FromMinutes(30));
        await inventory.ExpireDueReservationsAsync();
        Assert.True((await inventory.AdjustStockAsync(receive)).IsReplay, "still inside the window");
        Assert.NotNull(await inventory.GetReservationAsync(new ReservationId("r")));

        time.Advance(TimeSpan.FromHours(2));
        await inventory.ExpireDueReservationsAsync();

        Assert.Null(await inventory.GetReservationAsync(new ReservationId("r")));
        Assert.False((await inventory.AdjustStockAsync(receive)).IsReplay);
        Assert.Equal(9, (await inventory.GetStockAsync(new Sku("s")))!.OnHand);
    }
}
