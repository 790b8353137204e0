using Commerce.Payments;
using Commerce.Payments.Providers.Simulated;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Checkout.Conformance;

/// <summary>A checkout engine assembled over the store under test, with a simulated PSP the test can count on.</summary>
/// <param name="Checkout">The service.</param>
/// <param name="Payments">The payments engine it calls.</param>
/// <param name="Psp">The simulated PSP behind it.</param>
/// <param name="Catalog">The catalog it prices against.</param>
public sealed record CheckoutEngine(CheckoutService Checkout, PaymentService Payments, SimulatedPaymentProvider Psp, InMemoryPriceCatalog Catalog);

public abstract partial class CheckoutSagaStoreConformance
{
    /// <summary>The seller every catalog item of the suite belongs to, unless a test says otherwise.</summary>
    protected static readonly SellerId SellerA = new("seller-a");

    /// <summary>Lets a provider put the payments engine on its own store (the in-memory payment store otherwise).</summary>
    protected virtual void ConfigurePayments(PaymentsBuilder payments)
    {
    }

    /// <summary>Builds a checkout engine over the store under test.</summary>
    protected CheckoutEngine CreateEngine(Action<CheckoutOptions>? configure = null, SimulatedPaymentProviderOptions? psp = null)
    {
        var provider = new SimulatedPaymentProvider(psp ?? new SimulatedPaymentProviderOptions(), Time);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        var payments = services.AddCommercePayments().AddProvider("simulated", _ => provider, p => p.MaxRetries = 0);
        ConfigurePayments(payments);
        var sp = services.BuildServiceProvider();
        RegisterForDispose(sp);
        var options = new CheckoutOptions { BuyerPermitsPerSecond = null, MaxQueuedCheckouts = 100_000 };
        configure?.Invoke(options);
        var catalog = new InMemoryPriceCatalog();
        var checkout = new CheckoutService(Store, sp.GetRequiredService<PaymentService>(), catalog, Options.Create(options), Time);
        RegisterForDispose(checkout);
        return new CheckoutEngine(checkout, sp.GetRequiredService<PaymentService>(), provider, catalog);
    }

    /// <summary>A checkout request of one line at 10.00.</summary>
    protected CheckoutRequest Request(Sku sku, long quantity = 1, string? buyer = null, string token = SimulatedPaymentProvider.SuccessToken, string? key = null) =>
        new(new IdempotencyKey(key ?? Unique("key")), new BuyerId(buyer ?? Unique("buyer")), [new CheckoutLine(sku, quantity, new Money(1_000, Currency.USD))], Currency.USD, token);

    [Fact]
    public async Task A_checkout_reserves_orders_authorizes_commits_pays_and_captures()
    {
        var engine = CreateEngine();
        var sku = await StockAsync(10);
        engine.Catalog.Set(sku, SellerA, new Money(1_000, Currency.USD));

        var result = await engine.Checkout.CheckoutAsync(Request(sku, 3));

        Assert.Equal(CheckoutStatus.Completed, result.Status);
        Assert.Null(result.Error);
        Assert.Equal(3_000, result.Total!.Value.MinorUnits);
        Assert.Equal((7, 0), await StockOfAsync(sku));
        var order = await Orders.GetAsync(result.OrderId!.Value);
        Assert.Equal(Ordering.OrderState.Paid, order!.State);
        var payment = await engine.Payments.GetAsync(result.PaymentId!.Value, default);
        Assert.Equal(PaymentStatus.Captured, payment!.Status);
        Assert.Equal(3_000, payment.CapturedMinor);
        var saga = await Store.GetAsync(result.CheckoutId!.Value, default);
        Assert.Equal(CheckoutStep.Completed, saga!.Step);
    }

    [Fact]
    public async Task A_flash_sale_sells_exactly_the_stock_and_answers_everyone_else_sold_out()
    {
        var engine = CreateEngine();
        var sku = await StockAsync(FlashSaleUnits, "flash");
        engine.Catalog.Set(sku, SellerA, new Money(1_000, Currency.USD));
        var requests = Enumerable.Range(0, FlashSaleBuyers).Select(_ => Request(sku)).ToArray();

        var results = await Task.WhenAll(requests.Select(r => Task.Run(async () => await engine.Checkout.CheckoutAsync(r))));

        var completed = results.Where(r => r.Status == CheckoutStatus.Completed).ToArray();
        Assert.Equal(FlashSaleUnits, completed.Length);
        Assert.All(results.Where(r => r.Status != CheckoutStatus.Completed), r =>
        {
            Assert.Equal(CheckoutStatus.Rejected, r.Status);
            Assert.Equal(CheckoutErrorCodes.SoldOut, r.Error!.Code);
        });
        Assert.Equal(FlashSaleUnits, engine.Psp.Authorizations);
        Assert.Equal(FlashSaleUnits, engine.Psp.Captures);
        Assert.Equal((0, 0), await StockOfAsync(sku));
        foreach (var result in completed)
        {
            Assert.Equal(Ordering.OrderState.Paid, (await Orders.GetAsync(result.OrderId!.Value))!.State);
            Assert.Equal(PaymentStatus.Captured, (await engine.Payments.GetAsync(result.PaymentId!.Value, default))!.Status);
        }

        Assert.Empty(await Store.ListDueAsync(Now().AddYears(1), 10, default));
    }

    [Fact]
    public async Task A_declined_payment_releases_the_stock_and_cancels_the_order()
    {
        var engine = CreateEngine();
        var sku = await StockAsync(5);
        engine.Catalog.Set(sku, SellerA, new Money(1_000, Currency.USD));

        var result = await engine.Checkout.CheckoutAsync(Request(sku, 2, token: SimulatedPaymentProvider.DeclineToken));

        Assert.Equal(CheckoutStatus.Failed, result.Status);
        Assert.Equal(CheckoutErrorCodes.Declined, result.Error!.Code);
        Assert.Equal((5, 0), await StockOfAsync(sku));
        Assert.Equal(Ordering.OrderState.Cancelled, (await Orders.GetAsync(result.OrderId!.Value))!.State);
        Assert.Equal(CheckoutStep.Compensated, (await Store.GetAsync(result.CheckoutId!.Value, default))!.Step);
    }

    [Fact]
    public async Task The_same_key_returns_the_same_checkout_and_charges_once()
    {
        var engine = CreateEngine();
        var sku = await StockAsync(5);
        engine.Catalog.Set(sku, SellerA, new Money(1_000, Currency.USD));
        var request = Request(sku, 1);

        var first = await engine.Checkout.CheckoutAsync(request);
        var again = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await engine.Checkout.CheckoutAsync(request))));

        Assert.Equal(CheckoutStatus.Completed, first.Status);
        Assert.All(again, r =>
        {
            Assert.Equal(CheckoutStatus.Completed, r.Status);
            Assert.Equal(first.CheckoutId, r.CheckoutId);
            Assert.True(r.IsReplay);
        });
        Assert.Equal(1, engine.Psp.Authorizations);
        Assert.Equal((4, 0), await StockOfAsync(sku));
    }
}
