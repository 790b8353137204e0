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

    /// <summary>
    /// What the recovery workers of both engines do over time: passes of the payments resolver and the checkout
    /// recovery, each after the leases ran out, until no saga is left to drive.
    /// </summary>
    public async Task RecoverAllAsync(IEnumerable<CheckoutRequest> requests, int maxPasses = 20, TimeSpan? firstDelay = null)
    {
        var keys = requests.Select(r => r.IdempotencyKey).ToArray();
        for (var pass = 0; pass < maxPasses; pass++)
        {
            Time.Advance(pass == 0 && firstDelay is { } delay ? delay : Options.SagaLease + TimeSpan.FromMinutes(1));
            await Inventory.ExpireDueReservationsAsync();
            foreach (var key in keys)
            {
                if (await Store.FindByKeyAsync(key, default) is { } saga)
                {
                    await Payments.ResolveAsync(saga.PaymentId, default);
                }
            }

            await Checkout.RecoverDueAsync();
            if ((await Store.ListDueAsync(Time.GetUtcNow().AddYears(1), 1, default)).Count == 0)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The invariants after everything settled: no stock held, every started checkout completed (paid order,
    /// captured payment, committed stock) or compensated (no live order, no open authorization, stock back), and the
    /// PSP authorized exactly the checkouts that completed plus those it voided.
    /// </summary>
    public async Task AssertSettledAsync(IEnumerable<CheckoutRequest> requests, IEnumerable<Sku> skus)
    {
        foreach (var sku in skus)
        {
            Assert.Equal(0, (await StockAsync(sku)).Reserved);
        }

        var completed = 0;
        foreach (var request in requests)
        {
            var saga = await Store.FindByKeyAsync(request.IdempotencyKey, default);
            if (saga is null)
            {
                continue;
            }

            var order = await Orders.GetAsync(saga.OrderId);
            var payment = await Payments.GetAsync(saga.PaymentId, default);
            var reservation = await Inventory.GetReservationAsync(saga.ReservationId);
            Assert.True(saga.IsFinished || saga.Step == CheckoutStep.AwaitingShipment, $"{saga.Id} stuck at {saga.Step} ({saga.FailureCode})");
            if (saga.Step == CheckoutStep.Completed)
            {
                completed++;
                Assert.Equal(OrderState.Paid, order!.State);
                Assert.Equal(PaymentStatus.Captured, payment!.Status);
                Assert.Equal(saga.TotalMinor, payment.CapturedMinor);
                Assert.Equal(ReservationState.Committed, reservation!.State);
            }
            else if (saga.Step == CheckoutStep.Compensated)
            {
                Assert.True(order is null || order.State == OrderState.Cancelled, $"{saga.Id}: order {order?.State}");
                Assert.True(payment is null or { Status: PaymentStatus.Failed or PaymentStatus.Voided }, $"{saga.Id}: payment {payment?.Status}");
                Assert.True(reservation is null || reservation.State != ReservationState.Active);
            }
        }

        Assert.Equal(completed, Psp.Captures);
        Assert.Equal(completed + Psp.Voids, Psp.Authorizations);
    }

    public async ValueTask DisposeAsync()
    {
        await Checkout.DisposeAsync();
        await _services.DisposeAsync();
    }
}
