using System.Diagnostics.Metrics;
using Commerce.Events;
using Commerce.Ordering;
using Commerce.Ordering.Diagnostics;
using Commerce.Ordering.Events;
using Commerce.Ordering.InMemory;
using Commerce.Ordering.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ordering engine.</summary>
public static class OrderingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="OrderService"/> and the outbox relay, over the in-memory store unless a provider is chosen on
    /// the returned builder (<c>.UsePostgreSql(...)</c>). Events reach the registered <see cref="IEventPublisher"/>
    /// (for example a <see cref="ChannelEventPublisher"/>). Every piece is registered with <c>TryAdd</c>, so any of them
    /// can be replaced; options are validated at start-up.
    /// </summary>
    public static OrderingBuilder AddCommerceOrdering(this IServiceCollection services, Action<OrderingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<OrderingOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrderingOptions>, OrderingOptionsValidator>());
        options
            .Validate(static o => o.DefaultPageSize <= o.MaxPageSize, "DefaultPageSize must be at most MaxPageSize.")
            .Validate(static o => o.OutboxRetryBaseDelay > TimeSpan.Zero && o.OutboxIdleDelay > TimeSpan.Zero,
                "OutboxRetryBaseDelay and OutboxIdleDelay must be above zero.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => new OrderingMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IOrderStore>(static sp => new InMemoryOrderStore(
            recordEvents: sp.GetService<IEventPublisher>() is not null, timeProvider: sp.GetRequiredService<TimeProvider>()));
        services.TryAddKeyedSingleton<IOutboxStore>(OrderingOutboxRelayService.OutboxKey, static (sp, _) =>
            (sp.GetRequiredService<IOrderStore>() as InMemoryOrderStore)?.Outbox ?? EmptyOutboxStore.Instance);
        services.TryAddSingleton(static sp => new OrderService(
            sp.GetRequiredService<IOrderStore>(),
            sp.GetRequiredService<IOptions<OrderingOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<OrderingMetrics>()));
        services.AddHostedService<OrderingOutboxRelayService>();
        return new OrderingBuilder(services);
    }
}

/// <summary>Chooses the ordering engine's storage provider.</summary>
public sealed class OrderingBuilder
{
    internal OrderingBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection, for provider packages' extension methods.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Replaces the store; provider packages call this from their <c>UseXxx</c> methods.</summary>
    /// <param name="storeFactory">Builds the store.</param>
    /// <param name="outboxFactory">Builds the outbox the store writes its events to, if it keeps one.</param>
    public OrderingBuilder UseStore(Func<IServiceProvider, IOrderStore> storeFactory, Func<IServiceProvider, IOutboxStore>? outboxFactory = null)
    {
        ArgumentNullException.ThrowIfNull(storeFactory);
        Services.Replace(ServiceDescriptor.Singleton(storeFactory));
        if (outboxFactory is not null)
        {
            Services.RemoveAllKeyed<IOutboxStore>(OrderingOutboxRelayService.OutboxKey);
            Services.AddKeyedSingleton(OrderingOutboxRelayService.OutboxKey, (sp, _) => outboxFactory(sp));
        }

        return this;
    }
}
