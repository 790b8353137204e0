using Commerce.Checkout.Storage;
using Commerce.Inventory;
using Commerce.Ordering;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Checkout.Conformance;

/// <summary>What a provider builds for the suite: the saga store and the inventory and ordering services over the same provider's stores.</summary>
/// <param name="Store">The saga store under test.</param>
/// <param name="Inventory">The inventory service whose store holds the stock the saga reserves.</param>
/// <param name="Orders">The ordering service whose store holds the orders the saga places.</param>
public sealed record CheckoutStoreSetup(ICheckoutSagaStore Store, InventoryService Inventory, OrderService Orders);

/// <summary>
/// The behaviour every <see cref="ICheckoutSagaStore"/> must have. A provider's test class derives from this and only
/// says how to build the stores; every test here then runs against it.
/// </summary>
public abstract partial class CheckoutSagaStoreConformance : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];
    private int _sequence;

    /// <summary>The clock every service and store reads.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The saga store under test.</summary>
    protected ICheckoutSagaStore Store { get; private set; } = null!;

    /// <summary>The inventory over the provider's stock store.</summary>
    protected InventoryService Inventory { get; private set; } = null!;

    /// <summary>The ordering service over the provider's order store.</summary>
    protected OrderService Orders { get; private set; } = null!;

    /// <summary>How many buyers race in the flash-sale test; lower it for a slow provider only with a reason.</summary>
    protected virtual int FlashSaleBuyers => 10_000;

    /// <summary>How many units the flash sale has.</summary>
    protected virtual int FlashSaleUnits => 100;

    /// <summary>Builds fresh, empty stores. Register anything to clean up with <see cref="RegisterForDispose"/>.</summary>
    protected abstract ValueTask<CheckoutStoreSetup> CreateStoresAsync(TimeProvider timeProvider);

    /// <summary>Registers something to dispose after the test.</summary>
    protected void RegisterForDispose(IAsyncDisposable disposable) => _disposables.Add(disposable);

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync()
    {
        var setup = await CreateStoresAsync(Time);
        Store = setup.Store;
        Inventory = setup.Inventory;
        Orders = setup.Orders;
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

    /// <summary>A unique suffix for ids, so tests never collide in a shared database.</summary>
    protected string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _sequence)}-{Guid.NewGuid():N}";

    /// <summary>Puts <paramref name="units"/> on hand of a new SKU and returns it.</summary>
    protected async Task<Sku> StockAsync(long units, string prefix = "sku")
    {
        var sku = new Sku(Unique(prefix));
        await Inventory.AdjustStockAsync(new StockAdjustment(sku, units, "seed", new IdempotencyKey(Unique("seed"))));
        return sku;
    }

    /// <summary>A saga as the checkout service builds it, at <see cref="CheckoutStep.OrderPlaced"/>, version 1.</summary>
    protected CheckoutSaga NewSaga(params (Sku Sku, long Quantity)[] lines)
    {
        var id = new CheckoutId(Unique("co"));
        var now = Now();
        var sagaLines = lines.Select(l => new CheckoutSagaLine(l.Sku, new SellerId("seller-a"), l.Quantity, 1_000)).ToArray();
        return new CheckoutSaga
        {
            Id = id,
            IdempotencyKey = new IdempotencyKey(Unique("key")),
            Fingerprint = Guid.NewGuid(),
            Buyer = new BuyerId("buyer-1"),
            Currency = Currency.USD,
            Lines = sagaLines,
            TotalMinor = sagaLines.Sum(l => l.Quantity * l.UnitPriceMinor),
            PaymentMethod = "tok_visa",
            CaptureMode = CaptureMode.Immediate,
            ReservationId = new ReservationId(id.Value),
            OrderId = new OrderId(id.Value),
            PaymentId = new PaymentId(id.Value),
            ReservationExpiresAt = now.AddMinutes(10),
            Step = CheckoutStep.OrderPlaced,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
            LeaseExpiresAt = now.AddMinutes(1),
        };
    }

    /// <summary>The saga's next version at another step.</summary>
    protected CheckoutSaga Next(CheckoutSaga saga, CheckoutStep step, string? failureCode = null) => saga with
    {
        Step = step,
        Version = saga.Version + 1,
        UpdatedAt = Now(),
        FailureCode = failureCode ?? saga.FailureCode,
        FailureMessage = failureCode is null ? saga.FailureMessage : "failed in a test",
    };

    /// <summary>The clock, truncated to microseconds like every store keeps it.</summary>
    protected DateTimeOffset Now()
    {
        var now = Time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>Begins a saga and checks it began.</summary>
    protected async Task<CheckoutSaga> BeginAsync(CheckoutSaga saga)
    {
        var begun = await Store.BeginAsync(saga, default);
        Assert.Equal(BeginStatus.Begun, begun.Status);
        Assert.Equal(saga, begun.Saga);
        return begun.Saga!;
    }

    /// <summary>On hand and reserved of a SKU at the default location.</summary>
    protected async Task<(long OnHand, long Reserved)> StockOfAsync(Sku sku)
    {
        var level = await Inventory.GetStockAsync(sku);
        Assert.NotNull(level);
        return (level.OnHand, level.Reserved);
    }
}
