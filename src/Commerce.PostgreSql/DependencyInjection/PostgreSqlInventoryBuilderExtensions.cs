using Commerce.PostgreSql;
using Commerce.PostgreSql.DependencyInjection;
using Commerce.PostgreSql.Inventory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts the inventory engine on PostgreSQL.</summary>
public static class PostgreSqlInventoryBuilderExtensions
{
    /// <summary>Stores inventory in PostgreSQL, connecting with <paramref name="connectionString"/>.</summary>
    public static InventoryBuilder UsePostgreSql(this InventoryBuilder builder, string connectionString, Action<PostgreSqlInventoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        builder.Services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        return builder.UsePostgreSql(static sp => sp.GetRequiredService<NpgsqlDataSource>(), configure);
    }

    /// <summary>Stores inventory in PostgreSQL through a data source the application provides.</summary>
    public static InventoryBuilder UsePostgreSql(
        this InventoryBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, Action<PostgreSqlInventoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        var options = builder.Services.AddOptions<PostgreSqlInventoryOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlInventoryOptions>, PostgreSqlInventoryOptionsValidator>());
        options.ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new PostgreSqlInventoryStore(
            dataSource(sp), sp.GetRequiredService<IOptions<PostgreSqlInventoryOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        MigrationRegistration.AddMigrationFirst<PostgreSqlInventoryMigration>(builder.Services);
        return builder.UseStore(
            static sp => sp.GetRequiredService<PostgreSqlInventoryStore>(),
            static sp => sp.GetRequiredService<PostgreSqlInventoryStore>().Outbox);
    }


    /// <summary>Applies the inventory schema before the host starts serving, when <see cref="PostgreSqlInventoryOptions.MigrateOnStart"/> is set.</summary>
    private sealed class PostgreSqlInventoryMigration(PostgreSqlInventoryStore store, IOptions<PostgreSqlInventoryOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            options.Value.MigrateOnStart ? store.MigrateAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
