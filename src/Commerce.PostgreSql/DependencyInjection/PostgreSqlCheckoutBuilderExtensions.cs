using Commerce.Inventory;
using Commerce.Inventory.Storage;
using Commerce.Ordering;
using Commerce.Ordering.Storage;
using Commerce.PostgreSql;
using Commerce.PostgreSql.Checkout;
using Commerce.PostgreSql.DependencyInjection;
using Commerce.PostgreSql.Inventory;
using Commerce.PostgreSql.Ordering;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts the checkout saga on PostgreSQL.</summary>
public static class PostgreSqlCheckoutBuilderExtensions
{
    /// <summary>
    /// Stores checkout sagas in PostgreSQL and runs each group of local steps (claim + reserve + place; commit + paid;
    /// release + cancel) in one transaction. Needs the inventory and ordering engines on PostgreSQL too
    /// (<c>AddCommerceInventory().UsePostgreSql(...)</c>, <c>AddCommerceOrdering().UsePostgreSql(...)</c>), in the
    /// same schema; start-up fails otherwise. The sagas go to the inventory store's database.
    /// </summary>
    public static CheckoutBuilder UsePostgreSql(this CheckoutBuilder builder, Action<PostgreSqlCheckoutOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<PostgreSqlCheckoutOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlCheckoutOptions>, PostgreSqlCheckoutOptionsValidator>());
        options.ValidateOnStart();
        builder.Services.TryAddSingleton(static sp =>
        {
            var checkout = sp.GetRequiredService<IOptions<PostgreSqlCheckoutOptions>>().Value;
            var inventoryStore = RequireSameSchema(sp, checkout.Schema);
            return new PostgreSqlCheckoutSagaStore(
                inventoryStore.DataSource, sp.GetRequiredService<InventoryService>(), sp.GetRequiredService<OrderService>(),
                checkout, sp.GetRequiredService<TimeProvider>());
        });
        MigrationRegistration.AddMigrationFirst<PostgreSqlCheckoutMigration>(builder.Services);
        return builder.UseSagaStore(static sp => sp.GetRequiredService<PostgreSqlCheckoutSagaStore>());
    }

    /// <summary>The checkout functions call the inventory and ordering functions of their own schema, on the same tables the engines use.</summary>
    private static PostgreSqlInventoryStore RequireSameSchema(IServiceProvider services, string schema)
    {
        if (services.GetService<IInventoryStore>() is not PostgreSqlInventoryStore inventory
            || services.GetRequiredService<IOptions<PostgreSqlInventoryOptions>>().Value.Schema != schema)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL checkout store needs the inventory on PostgreSQL in schema '{schema}': call AddCommerceInventory().UsePostgreSql(...) with the same schema.");
        }

        if (services.GetService<IOrderStore>() is not PostgreSqlOrderStore orders
            || services.GetRequiredService<IOptions<PostgreSqlOrderingOptions>>().Value.Schema != schema
            || (orders.DataSource != inventory.DataSource && orders.DataSource.ConnectionString != inventory.DataSource.ConnectionString))
        {
            throw new InvalidOperationException(
                $"The PostgreSQL checkout store needs ordering on PostgreSQL in schema '{schema}': call AddCommerceOrdering().UsePostgreSql(...) with the same schema, in the inventory's database.");
        }

        return inventory;
    }

    /// <summary>Applies the inventory, ordering and checkout schema before the host starts serving, when <see cref="PostgreSqlCheckoutOptions.MigrateOnStart"/> is set.</summary>
    private sealed class PostgreSqlCheckoutMigration(PostgreSqlCheckoutSagaStore store, IOptions<PostgreSqlCheckoutOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            options.Value.MigrateOnStart ? store.MigrateAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
