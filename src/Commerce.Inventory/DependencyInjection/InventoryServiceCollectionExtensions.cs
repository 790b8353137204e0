using System.Diagnostics.Metrics;
using Commerce;
using Commerce.Events;
using Commerce.Inventory;
using Commerce.Inventory.Diagnostics;
using Commerce.Inventory.Events;
using Commerce.Inventory.Expiry;
using Commerce.Inventory.InMemory;
using Commerce.Inventory.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the inventory engine.</summary>
public static class InventoryServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="InventoryService"/>, the expiry sweeper and the outbox relay, over the in-memory store unless a
    /// provider is chosen on the returned builder (<c>.UsePostgreSql(...)</c>). Every piece is registered with
    /// <c>TryAdd</c>, so any of them can be replaced; options are validated at start-up.
    /// </summary>
    public static InventoryBuilder AddCommerceInventory(this IServiceCollection services, Action<InventoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<InventoryOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InventoryOptions>, InventoryOptionsValidator>());
        options
            .Validate(static o => o.DefaultReservationTtl > TimeSpan.Zero && o.DefaultReservationTtl <= o.MaxReservationTtl,
                "DefaultReservationTtl must be above zero and at most MaxReservationTtl.")
            .Validate(static o => o.ExpiryInterval > TimeSpan.Zero, "ExpiryInterval must be above zero.")
            .Validate(static o => LocationId.TryParse(o.DefaultLocation, out _), "DefaultLocation must be a valid location id.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => new InventoryMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IInventoryStore>(static sp => new InMemoryInventoryStore(
            recordEvents: sp.GetService<IEventPublisher>() is not null, timeProvider: sp.GetRequiredService<TimeProvider>()));
        services.TryAddKeyedSingleton<IOutboxStore>(InventoryOutboxRelayService.OutboxKey, static (sp, _) =>
            (sp.GetRequiredService<IInventoryStore>() as InMemoryInventoryStore)?.Outbox ?? EmptyOutboxStore.Instance);
        services.TryAddSingleton(static sp => new InventoryService(
            sp.GetRequiredService<IInventoryStore>(),
            sp.GetRequiredService<IOptions<InventoryOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<InventoryMetrics>()));
        services.AddHostedService<ReservationExpiryService>();
        services.AddHostedService<InventoryOutboxRelayService>();
        return new InventoryBuilder(services);
    }
}

/// <summary>Chooses the inventory engine's storage provider.</summary>
public sealed class InventoryBuilder
{
    internal InventoryBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection, for provider packages' extension methods.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Replaces the store; provider packages call this from their <c>UseXxx</c> methods.</summary>
    /// <param name="storeFactory">Builds the store.</param>
    /// <param name="outboxFactory">Builds the outbox the store writes its events to, if it keeps one.</param>
    public InventoryBuilder UseStore(Func<IServiceProvider, IInventoryStore> storeFactory, Func<IServiceProvider, IOutboxStore>? outboxFactory = null)
    {
        ArgumentNullException.ThrowIfNull(storeFactory);
        Services.Replace(ServiceDescriptor.Singleton(storeFactory));
        if (outboxFactory is not null)
        {
            Services.RemoveAllKeyed<IOutboxStore>(InventoryOutboxRelayService.OutboxKey);
            Services.AddKeyedSingleton(InventoryOutboxRelayService.OutboxKey, (sp, _) => outboxFactory(sp));
        }

        return this;
    }
}
