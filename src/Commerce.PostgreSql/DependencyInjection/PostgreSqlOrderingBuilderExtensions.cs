using Commerce.PostgreSql;
using Commerce.PostgreSql.DependencyInjection;
using Commerce.PostgreSql.Ordering;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts the ordering engine on PostgreSQL.</summary>
public static class PostgreSqlOrderingBuilderExtensions
{
    /// <summary>Stores orders in PostgreSQL, connecting with <paramref name="connectionString"/>.</summary>
    public static OrderingBuilder UsePostgreSql(this OrderingBuilder builder, string connectionString, Action<PostgreSqlOrderingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        builder.Services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        return builder.UsePostgreSql(static sp => sp.GetRequiredService<NpgsqlDataSource>(), configure);
    }

    /// <summary>Stores orders in PostgreSQL through a data source the application provides.</summary>
    public static OrderingBuilder UsePostgreSql(
        this OrderingBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, Action<PostgreSqlOrderingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        var options = builder.Services.AddOptions<PostgreSqlOrderingOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlOrderingOptions>, PostgreSqlOrderingOptionsValidator>());
        options.ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new PostgreSqlOrderStore(
            dataSource(sp), sp.GetRequiredService<IOptions<PostgreSqlOrderingOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        MigrationRegistration.AddMigrationFirst<PostgreSqlOrderingMigration>(builder.Services);
        return builder.UseStore(
            static sp => sp.GetRequiredService<PostgreSqlOrderStore>(),
            static sp => sp.GetRequiredService<PostgreSqlOrderStore>().Outbox);
    }


    /// <summary>Applies the ordering schema before the host starts serving, when <see cref="PostgreSqlOrderingOptions.MigrateOnStart"/> is set.</summary>
    private sealed class PostgreSqlOrderingMigration(PostgreSqlOrderStore store, IOptions<PostgreSqlOrderingOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            options.Value.MigrateOnStart ? store.MigrateAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
