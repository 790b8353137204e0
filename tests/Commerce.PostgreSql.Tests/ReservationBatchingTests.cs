using Commerce.Inventory;
using Commerce.PostgreSql.Inventory;
using Commerce.Testing;
using Microsoft.Extensions.Options;

namespace Commerce.PostgreSql.Tests;

/// <summary>
/// The batcher under contention: small batches and several workers, so requests over shared hot SKUs are parked
/// behind batches in flight, re-taken in order, split over several calls, and deduplicated by id.
/// </summary>
public sealed class ReservationBatchingTests : IAsyncLifetime
{
    private static readonly string[] Skus = ["hot-a", "hot-b", "hot-c", "cold"];
    private PostgreSqlSchema _schema = null!;
    private PostgreSqlInventoryStore _store = null!;
    private InventoryService _inventory = null!;

    public async ValueTask InitializeAsync()
    {
        _schema = PostgreSqlSchema.Create("batch");
        _store = new PostgreSqlInventoryStore(_schema.DataSource,
            new PostgreSqlInventoryOptions { Schema = _schema.Name, MaxBatchSize = 8, MaxConcurrentBatches = 4 });
        await _store.MigrateAsync();
        _inventory = new InventoryService(_store, Options.Create(new InventoryOptions()), TimeProvider.System);
        foreach (var sku in Skus)
        {
            await _inventory.AdjustStockAsync(new StockAdjustment(new Sku(sku), 1_000_000, "received", new IdempotencyKey($"receive-{sku}")));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task Overlapping_multi_sku_requests_all_complete_and_hold_exactly_their_units()
    {
        var random = new Random(42);
        var requests = Enumerable.Range(0, 1_500).Select(i =>
        {
            // One to three of the hot SKUs (in a random order), sometimes with the cold one.
            var lines = Skus.Take(3).OrderBy(_ => random.Next()).Take(1 + random.Next(3)).ToList();
            if (random.Next(4) == 0)
            {
                lines.Add("cold");
            }

            return new ReservationRequest(new ReservationId($"r-{i}"),
                [.. lines.Select(sku => new ReservationLine(new Sku(sku), 1 + random.Next(3)))]);
        }).ToArray();

        // Every tenth request is sent twice at once: one copy reserves, the other replays it.
        var sends = requests.Concat(requests.Where((_, i) => i % 10 == 0)).OrderBy(_ => random.Next()).ToArray();
        using var start = new ManualResetEventSlim();
        var calls = sends.Select(request => Task.Run(async () =>
        {
            start.Wait();
            return await _inventory.ReserveAsync(request);
        })).ToArray();
        start.Set();

        var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
        Assert.Equal(requests.Length, results.Count(r => !r.IsReplay));
        foreach (var sku in Skus)
        {
            var expected = requests.SelectMany(r => r.Lines).Where(l => l.Sku.Value == sku).Sum(l => l.Quantity);
            var level = await _inventory.GetStockAsync(new Sku(sku));
            Assert.Equal(expected, level!.Reserved);
        }
    }

    [Fact]
    public async Task Disposing_the_store_under_load_completes_every_queued_request()
    {
        var calls = Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var lines = i % 3 == 0
                ? new[] { new ReservationLine(new Sku("hot-a"), 1), new ReservationLine(new Sku("hot-b"), 1) }
                : [new ReservationLine(new Sku(i % 2 == 0 ? "hot-a" : "hot-b"), 1)];
            return await _inventory.ReserveAsync(new ReservationRequest(new ReservationId($"d-{i}"), lines));
        })).ToArray();

        await Task.Delay(20);
        await _store.DisposeAsync();
        await Task.WhenAll(calls.Select(c => c.ContinueWith(static _ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromMinutes(1));

        // Queued requests ran to completion; only those that arrived after disposal were refused.
        Assert.All(calls, c => Assert.True(c.IsCompletedSuccessfully || c.Exception?.InnerException is ObjectDisposedException, c.Exception?.ToString()));
        var reserved = calls.Where(c => c.IsCompletedSuccessfully).SelectMany(c => c.Result.Reservation!.Lines).GroupBy(l => l.Sku.Value)
            .ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity));
        await using var check = new PostgreSqlInventoryStore(_schema.DataSource, new PostgreSqlInventoryOptions { Schema = _schema.Name });
        foreach (var sku in new[] { "hot-a", "hot-b" })
        {
            var level = await check.GetStockAsync(new Sku(sku), new LocationId("default"), CancellationToken.None);
            Assert.Equal(reserved.GetValueOrDefault(sku), level!.Reserved);
        }
    }
}
