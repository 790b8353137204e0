using System.Threading.RateLimiting;
using Commerce.Inventory;
using Commerce.Payments.Providers.Simulated;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.Checkout.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task AddCommerceCheckout_wires_the_saga_over_the_registered_engines_and_recovers_in_the_background()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCommerceInventory();
        builder.Services.AddCommerceOrdering();
        builder.Services.AddCommercePayments().AddSimulatedProvider(configure: p => p.MaxRetries = 0);
        builder.Services.AddCommerceCheckout(o =>
        {
            o.RecoveryInterval = TimeSpan.FromMilliseconds(50);
            o.SagaLease = TimeSpan.FromSeconds(2);
        }).UseBuyerRateLimiter(_ => PartitionedRateLimiter.Create<string, string>(b =>
            RateLimitPartition.GetFixedWindowLimiter(b, _ => new FixedWindowRateLimiterOptions { PermitLimit = 2, Window = TimeSpan.FromHours(1) })));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var inventory = host.Services.GetRequiredService<InventoryService>();
            var catalog = host.Services.GetRequiredService<InMemoryPriceCatalog>();
            var checkout = host.Services.GetRequiredService<CheckoutService>();
            var sku = new Sku("hosted");
            await inventory.AdjustStockAsync(new StockAdjustment(sku, 3, "seed", new IdempotencyKey("seed")), TestContext.Current.CancellationToken);
            catalog.Set(sku, new SellerId("seller"), CheckoutHarness.Price);
            CheckoutRequest Request(string key) => new(new IdempotencyKey(key), new BuyerId("buyer"), [new CheckoutLine(sku, 1, CheckoutHarness.Price)], Currency.USD, SimulatedPaymentProvider.SuccessToken);

            var crashed = Request("crashing");
            checkout.StepHook = (step, _) => step == "authorized" ? throw new InvalidOperationException("crash") : ValueTask.CompletedTask;
            var crash = await Record.ExceptionAsync(async () => Assert.Fail((await checkout.CheckoutAsync(crashed, TestContext.Current.CancellationToken)).ToString()));
            Assert.IsType<InvalidOperationException>(crash);
            checkout.StepHook = null;

            // The hosted recovery worker finishes the crashed checkout once its lease passes.
            var deadline = TimeProvider.System.GetUtcNow().AddSeconds(10);
            CheckoutResult? recovered = null;
            while (TimeProvider.System.GetUtcNow() < deadline && recovered?.Status != CheckoutStatus.Completed)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
                recovered = await checkout.GetByKeyAsync(crashed.IdempotencyKey, TestContext.Current.CancellationToken);
            }

            Assert.Equal(CheckoutStatus.Completed, recovered?.Status);
            Assert.Equal(CheckoutStatus.Completed, (await checkout.CheckoutAsync(Request("second"), TestContext.Current.CancellationToken)).Status);
            var limited = await checkout.CheckoutAsync(Request("third"), TestContext.Current.CancellationToken);
            Assert.Equal(CheckoutErrorCodes.Busy, limited.Error!.Code);
            Assert.Equal(1, (await inventory.GetStockAsync(sku, cancellationToken: TestContext.Current.CancellationToken))!.OnHand);
        }
        finally
        {
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
    }
}
