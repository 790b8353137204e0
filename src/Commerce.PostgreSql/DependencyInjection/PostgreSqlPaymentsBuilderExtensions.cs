using Commerce.Payments;
using Commerce.PostgreSql;
using Commerce.PostgreSql.DependencyInjection;
using Commerce.PostgreSql.Payments;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts the payments engine on PostgreSQL.</summary>
public static class PostgreSqlPaymentsBuilderExtensions
{
    /// <summary>Stores payments in PostgreSQL, connecting with <paramref name="connectionString"/>.</summary>
    public static PaymentsBuilder UsePostgreSql(this PaymentsBuilder builder, string connectionString, Action<PostgreSqlPaymentsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        builder.Services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        return builder.UsePostgreSql(static sp => sp.GetRequiredService<NpgsqlDataSource>(), configure);
    }

    /// <summary>Stores payments in PostgreSQL through a data source the application provides.</summary>
    public static PaymentsBuilder UsePostgreSql(
        this PaymentsBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, Action<PostgreSqlPaymentsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        var options = builder.Services.AddOptions<PostgreSqlPaymentsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlPaymentsOptions>, PostgreSqlPaymentsOptionsValidator>());
        options.Validate(static o => o.WebhookRetention > TimeSpan.Zero, "WebhookRetention must be above zero.").ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new PostgreSqlPaymentStore(
            dataSource(sp), sp.GetRequiredService<IOptions<PostgreSqlPaymentsOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        MigrationRegistration.AddMigrationFirst<PostgreSqlPaymentsMigration>(builder.Services);
        return builder.UseStore(static sp => sp.GetRequiredService<PostgreSqlPaymentStore>());
    }


    /// <summary>Applies the payments schema before the host starts serving, when <see cref="PostgreSqlPaymentsOptions.MigrateOnStart"/> is set.</summary>
    private sealed class PostgreSqlPaymentsMigration(PostgreSqlPaymentStore store, IOptions<PostgreSqlPaymentsOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            options.Value.MigrateOnStart ? store.MigrateAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
