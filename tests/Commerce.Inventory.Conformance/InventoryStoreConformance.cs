using Commerce.Events;
using Commerce.Inventory.Diagnostics;
using Commerce.Inventory.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Inventory.Conformance;

/// <summary>
/// The behaviour every <see cref="IInventoryStore"/> must have. A provider's test class derives from this and only
/// says how to build a store; every test here then runs against it.
/// </summary>
public abstract partial class InventoryStoreConformance : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];

    /// <summary>The clock the service under test reads; tests move it to expire reservations.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The service under test, over a fresh store.</summary>
    protected InventoryService Inventory { get; private set; } = null!;

    /// <summary>The store under test.</summary>
    protected IInventoryStore Store { get; private set; } = null!;

    /// <summary>How many random cases each property test runs; lower for stores with a network round trip.</summary>
    protected virtual int PropertyIterations => 100;

    /// <summary>Builds a fresh, empty store. Register anything to clean up with <see cref="RegisterForDispose"/>.</summary>
    protected abstract ValueTask<IInventoryStore> CreateStoreAsync(TimeProvider timeProvider);

    /// <summary>The outbox the store writes its events to, if it keeps one.</summary>
    protected virtual IOutboxStore? GetOutbox(IInventoryStore store) => null;

    /// <summary>Registers something to dispose after the test.</summary>
    protected void RegisterForDispose(IAsyncDisposable disposable) => _disposables.Add(disposable);

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync()
    {
        Store = await CreateStoreAsync(Time);
        Inventory = CreateService(Store, new InventoryOptions());
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Creates a service over a store with given options and this test's clock.</summary>
    protected InventoryService CreateService(IInventoryStore store, InventoryOptions options) =>
        new(store, options, Time, new InventoryMetrics());

    /// <summary>Receives units of a SKU at the default location.</summary>
    protected async Task<StockLevel> ReceiveAsync(string sku, long quantity, string? location = null)
    {
        var adjustment = new StockAdjustment(new Sku(sku), quantity, "received", new IdempotencyKey($"receive-{Guid.NewGuid():N}"))
        {
            Location = location is null ? null : new LocationId(location),
        };
        return (await Inventory.AdjustStockAsync(adjustment)).Stock;
    }

    /// <summary>Reserves one line.</summary>
    protected ValueTask<ReservationResult> ReserveAsync(string id, string sku, long quantity, TimeSpan? ttl = null) =>
        Inventory.ReserveAsync(new ReservationRequest(new ReservationId(id), [new ReservationLine(new Sku(sku), quantity)]) { Ttl = ttl });

    /// <summary>Reads a SKU's stock at the default location, which must exist.</summary>
    protected async Task<StockLevel> StockAsync(string sku, string? location = null)
    {
        var level = await Inventory.GetStockAsync(new Sku(sku), location is null ? null : new LocationId(location));
        Assert.NotNull(level);
        return level;
    }

    /// <summary>Asserts that the ledger of a SKU rebuilds its live stock at every location.</summary>
    protected async Task AssertLedgerRebuildsAsync(string sku, params string[] locations)
    {
        var rebuilt = await Inventory.RebuildFromLedgerAsync(new Sku(sku));
        foreach (var location in locations.Length == 0 ? [Inventory.Options.DefaultLocation] : locations)
        {
            var level = await StockAsync(sku, location);
            Assert.True(rebuilt.TryGetValue(new LocationId(location), out var totals), $"no movements for {sku}@{location}");
            Assert.Equal((level.OnHand, level.Reserved), totals);
        }
    }

    /// <summary>Asserts that an action throws a <see cref="CommerceException"/> with the given code.</summary>
    protected static async Task<CommerceException> AssertErrorAsync(string code, Func<Task> action)
    {
        var exception = await Assert.ThrowsAnyAsync<CommerceException>(action);
        Assert.Equal(code, exception.Code);
        return exception;
    }
}
