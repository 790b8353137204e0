using Commerce.Checkout.Conformance;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;
using Commerce.PostgreSql.Checkout;
using Commerce.PostgreSql.Inventory;
using Commerce.PostgreSql.Ordering;
using Commerce.PostgreSql.Payments;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.PostgreSql.Tests.Checkout;

/// <summary>
/// The checkout saga store conformance suite against PostgreSQL (atomic local steps), each test in a schema of its
/// own, with payments on PostgreSQL in the same schema too: the end-to-end tests (10,000 buyers for 100 units
/// included) run every store of the checkout on the database.
/// </summary>
public sealed class PostgreSqlCheckoutSagaStoreTests : CheckoutSagaStoreConformance
{
    private PostgreSqlPaymentStore? _payments;

    protected override async ValueTask<CheckoutStoreSetup> CreateStoresAsync(TimeProvider timeProvider)
    {
        var schema = PostgreSqlSchema.Create("co");
        RegisterForDispose(schema);
        var (store, inventory, orders) = await PostgreSqlCheckoutStores.CreateAsync(schema, timeProvider, RegisterForDispose);
        _payments = new PostgreSqlPaymentStore(schema.DataSource, new PostgreSqlPaymentsOptions { Schema = schema.Name }, timeProvider);
        RegisterForDispose(_payments);
        await _payments.MigrateAsync();
        return new CheckoutStoreSetup(store, inventory, orders);
    }

    protected override void ConfigurePayments(PaymentsBuilder payments) => payments.UseStore(_ => _payments!);
}

/// <summary>Builds the inventory, ordering and checkout stores on one schema, as <c>UsePostgreSql</c> does.</summary>
internal static class PostgreSqlCheckoutStores
{
    public static async Task<(PostgreSqlCheckoutSagaStore Store, InventoryService Inventory, OrderService Orders)> CreateAsync(
        PostgreSqlSchema schema, TimeProvider timeProvider, Action<IAsyncDisposable> registerForDispose, PostgreSqlCheckoutOptions? options = null)
    {
        var inventoryStore = new PostgreSqlInventoryStore(schema.DataSource, new PostgreSqlInventoryOptions { Schema = schema.Name }, timeProvider);
        registerForDispose(inventoryStore);
        var orderStore = new PostgreSqlOrderStore(schema.DataSource, new PostgreSqlOrderingOptions { Schema = schema.Name }, timeProvider);
        var inventory = new InventoryService(inventoryStore, Options.Create(new InventoryOptions()), timeProvider);
        var orders = new OrderService(orderStore, Options.Create(new OrderingOptions()), timeProvider);
        options ??= new PostgreSqlCheckoutOptions();
        options.Schema = schema.Name;
        var store = new PostgreSqlCheckoutSagaStore(schema.DataSource, inventory, orders, options, timeProvider);
        registerForDispose(store);
        await store.MigrateAsync();
        return (store, inventory, orders);
    }
}
