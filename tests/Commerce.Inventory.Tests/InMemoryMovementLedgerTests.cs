using Microsoft.Extensions.Time.Testing;

namespace Commerce.Inventory.Tests;

/// <summary>
/// The in-memory store keeps each row's ledger in chunks of 4, 8, ... up to 1,024 entries, then more chunks of 1,024:
/// these histories (adjustments plus a reservation's two entries) end on and just past the chunk boundaries and must
/// read back whole, in order, field for field.
/// </summary>
public sealed class InMemoryMovementLedgerTests
{
    // The first row holds the adjustments plus the reservation's two entries; the chunks hold 4, 12, ..., 2,044
    // entries in all before the first chunk of the fixed size, 3,068 after it.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(2042)]
    [InlineData(2043)]
    [InlineData(3066)]
    [InlineData(3067)]
    [InlineData(5000)]
    public async Task A_long_history_reads_back_whole_and_in_order(int adjustments)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var inventory = InventoryService.CreateInMemory(timeProvider: time);
        var sku = new Sku("long-history");
        var other = new LocationId("second");
        for (var i = 0; i < adjustments; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await inventory.AdjustStockAsync(new StockAdjustment(sku, i + 1, $"delivery {i}", new IdempotencyKey($"adjust-{i}")));
            if (i % 500 == 0)
            {
                // A second row of the same SKU: its entries interleave with the first row's by sequence.
                await inventory.AdjustStockAsync(new StockAdjustment(sku, 1, "second row", new IdempotencyKey($"other-{i}")) { Location = other });
            }
        }

        var reserved = await inventory.ReserveAsync(new ReservationRequest(new ReservationId("hold"), [new ReservationLine(sku, 1)]));
        await inventory.CommitAsync(reserved.Reservation!.Id);

        var movements = await inventory.ReadMovementsAsync(sku).ToListAsync();

        var seconds = (adjustments + 499) / 500;
        Assert.Equal(adjustments + seconds + 2, movements.Count);
        Assert.True(movements.Zip(movements.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence), "movements out of sequence");
        var first = movements.Where(m => m.Location != other).ToList();
        for (var i = 0; i < adjustments; i++)
        {
            var m = first[i];
            Assert.Equal((sku, StockMovementKind.Adjusted, (long)i + 1, 0L, $"delivery {i}", $"adjust-{i}"), (m.Sku, m.Kind, m.OnHandDelta, m.ReservedDelta, m.Reason, m.Reference));
            Assert.Equal(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero).AddSeconds(i + 1), m.OccurredAt);
        }

        Assert.Equal((StockMovementKind.Reserved, 0L, 1L, "hold"), (first[^2].Kind, first[^2].OnHandDelta, first[^2].ReservedDelta, first[^2].Reference));
        Assert.Equal((StockMovementKind.Committed, -1L, -1L), (first[^1].Kind, first[^1].OnHandDelta, first[^1].ReservedDelta));
        Assert.All(movements.Where(m => m.Location == other), m => Assert.Equal(("second row", 1L), (m.Reason, m.OnHandDelta)));

        var level = await inventory.GetStockAsync(sku);
        Assert.Equal((level!.OnHand, level.Reserved), (first.Sum(m => m.OnHandDelta), first.Sum(m => m.ReservedDelta)));
    }
}
