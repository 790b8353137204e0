using Commerce.Checkout;
using Commerce.Checkout.Storage;
using Commerce.PostgreSql.Checkout;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.PostgreSql.Tests.Checkout;

/// <summary>The DI wiring: <c>AddCommerceCheckout().UsePostgreSql(...)</c> beside the inventory, ordering and payments engines on PostgreSQL.</summary>
public sealed class PostgreSqlCheckoutHostingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_host_migrates_first_and_a_checkout_runs_with_every_store_on_postgresql()
    {
        await using var schema = PostgreSqlSchema.Create("coh");
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCommerceInventory().UsePostgreSql(_ => schema.DataSource, o => o.Schema = schema.Name);
        builder.Services.AddCommerceOrdering().UsePostgreSql(_ => schema.DataSource, o => o.Schema = schema.Name);
        builder.Services.AddCommercePayments().AddSimulatedProvider().UsePostgreSql(_ => schema.DataSource, o => o.Schema = schema.Name);
        builder.Services.AddCommerceCheckout().UsePostgreSql(o => o.Schema = schema.Name);
        using var host = builder.Build();

        Assert.IsType<PostgreSqlCheckoutSagaStore>(host.Services.GetRequiredService<ICheckoutSagaStore>());
        await host.StartAsync(Ct);
        try
        {
            var sku = new Sku("sku-1");
            var price = new Money(1_000, Currency.EUR);
            await host.Services.GetRequiredService<Commerce.Inventory.InventoryService>()
                .AdjustStockAsync(new Commerce.Inventory.StockAdjustment(sku, 3, "seed", new IdempotencyKey("seed-1")), Ct);
            host.Services.GetRequiredService<InMemoryPriceCatalog>().Set(sku, new SellerId("seller-1"), price);
            var checkout = host.Services.GetRequiredService<CheckoutService>();
            var request = new CheckoutRequest(new IdempotencyKey("k1"), new BuyerId("b1"), [new CheckoutLine(sku, 2, price)], Currency.EUR, "tok_visa");

            var result = await checkout.CheckoutAsync(request, Ct);

            Assert.Equal(CheckoutStatus.Completed, result.Status);
            Assert.True((await checkout.CheckoutAsync(request, Ct)).IsReplay);
        }
        finally
        {
            await host.StopAsync(Ct);
        }
    }

    [Fact]
    public async Task Start_up_refuses_inventory_in_another_schema()
    {
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddCommerceInventory().UsePostgreSql("Host=localhost", o => o.Schema = "stock");
        services.AddCommerceOrdering().UsePostgreSql("Host=localhost", o => o.Schema = "sales");
        services.AddCommercePayments().AddSimulatedProvider();
        services.AddCommerceCheckout().UsePostgreSql(o => o.Schema = "sales");
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ICheckoutSagaStore>());
        Assert.Contains("inventory", error.Message, StringComparison.Ordinal);
    }
}
