using Commerce.Checkout.Conformance;
using Commerce.Checkout.InMemory;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;
using Commerce.Payments.Providers.Simulated;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Checkout.Tests;

/// <summary>The whole engine in memory on a fake clock, with a simulated PSP the tests count on.</summary>
internal sealed class CheckoutHarness : IAsyncDisposable
{
    public static readonly SellerId SellerA = new("seller-a");
    public static readonly SellerId SellerB = new("seller-b");
    public static readonly Money Price = new(1_000, Currency.USD);

    private readonly ServiceProvider _services;
    private int _sequence;

    private CheckoutHarness(Action<CheckoutOptions>? configure, SimulatedPaymentProviderOptions? psp, CheckoutLimiters? limiters)
    {
        Inventory = InventoryService.CreateInMemory(timeProvider: Time);
        Orders = OrderService.CreateInMemory(timeProvider: Time);
        Store = new InMemoryCheckoutSagaStore(Inventory, Orders);
        Psp = new SimulatedPaymentProvider(psp ?? new SimulatedPaymentProviderOptions(), Time);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddCommercePayments().AddProvider("simulated", _ => Psp, p =>
        {
            p.MaxRetries = 0;
            p.CircuitFailureRatio = 1.0;
        });
        _services = services.BuildServiceProvider();
        Payments = _services.GetRequiredService<PaymentService>();
        Options = new CheckoutOptions { BuyerPermitsPerSecond = null };
        configure?.Invoke(Options);
        Checkout = new CheckoutService(Store, Payments, Catalog, Microsoft.Extensions.Options.Options.Create(Options), Time, limiters);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    public InventoryService Inventory { get; }

    public OrderService Orders { get; }

    public InMemoryCheckoutSagaStore Store { get; }

    public SimulatedPaymentProvider Psp { get; }

    public PaymentService Payments { get; }

    public InMemoryPriceCatalog Catalog { get; } = new();

    public CheckoutOptions Options { get; }

    public CheckoutService Checkout { get; }

    public static CheckoutHarness Create(Action<CheckoutOptions>? configure = null, SimulatedPaymentProviderOptions? psp = null, CheckoutLimiters? limiters = null) =>
        new(configure, psp, limiters);

    public string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _sequence)}";

    /// <summary>A SKU with stock, in the catalog at <see cref="Price"/>.</summary>
    public async Task<Sku> SkuAsync(long units, SellerId? seller = null)
    {
        var sku = new Sku(Unique("sku"));
        await Inventory.AdjustStockAsync(new StockAdjustment(sku, units, "seed", new IdempotencyKey(Unique("seed"))));
        Catalog.Set(sku, seller ?? SellerA, Price);
        return sku;
    }

    public CheckoutRequest Request(Sku sku, long quantity = 1, string? buyer = null, string token = SimulatedPaymentProvider.SuccessToken) =>
        new(new IdempotencyKey(Unique("key")), new BuyerId(buyer ?? Unique("buyer")), [new CheckoutLine(sku, quantity, Price)], Currency.USD, token);

    public async Task<(long OnHand, long Reserved)> StockAsync(Sku sku)
    {
        var level = await Inventory.GetStockAsync(sku);
        return (level!.OnHand, level.Reserved);
    }

    /// <summary>The recovery passes and the settled-state invariants shared with the PostgreSQL crash tests.</summary>
    public CheckoutSettlement Settlement => new(Time, Options, Inventory, Orders, Store, Payments, Checkout, Psp);

    /// <inheritdoc cref="CheckoutSettlement.RecoverAllAsync"/>
    public Task RecoverAllAsync(IEnumerable<CheckoutRequest> requests, int maxPasses = 20, TimeSpan? firstDelay = null) =>
        Settlement.RecoverAllAsync(requests, maxPasses, firstDelay);

    /// <inheritdoc cref="CheckoutSettlement.AssertSettledAsync"/>
    public Task AssertSettledAsync(IEnumerable<CheckoutRequest> requests, IEnumerable<Sku> skus) => Settlement.AssertSettledAsync(requests, skus);

    public async ValueTask DisposeAsync()
    {
        await Checkout.DisposeAsync();
        await _services.DisposeAsync();
    }
}
