using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.PostgreSql.DependencyInjection;

/// <summary>Registers a schema migration as the first hosted service.</summary>
internal static class MigrationRegistration
{
    /// <summary>
    /// Hosted services start in registration order; the engines' sweepers, resolvers and relays are registered by
    /// their <c>AddCommerceXxx</c> call, before <c>UsePostgreSql</c>, so the migration goes in front of them or their
    /// first pass would find no schema. Registering the same migration twice is a no-op.
    /// </summary>
    public static void AddMigrationFirst<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TMigration>(IServiceCollection services)
        where TMigration : class, IHostedService
    {
        if (services.Any(static d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(TMigration)))
        {
            return;
        }

        var migration = ServiceDescriptor.Singleton<IHostedService, TMigration>();
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(IHostedService))
            {
                services.Insert(i, migration);
                return;
            }
        }

        services.Add(migration);
    }
}
