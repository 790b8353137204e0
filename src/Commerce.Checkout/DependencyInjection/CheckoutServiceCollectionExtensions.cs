using System.Threading.RateLimiting;
using Commerce.Checkout;
using Commerce.Checkout.InMemory;
using Commerce.Checkout.Recovery;
using Commerce.Checkout.Storage;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the checkout saga.</summary>
public static class CheckoutServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="CheckoutService"/> and the recovery worker over the in-memory saga store (which composes the
    /// registered <see cref="InventoryService"/> and <see cref="OrderService"/>), unless another store is chosen on the
    /// returned builder. Needs <c>AddCommerceInventory()</c>, <c>AddCommerceOrdering()</c> and
    /// <c>AddCommercePayments()</c>. Register your <see cref="IPriceCatalog"/> (or fill the default
    /// <see cref="InMemoryPriceCatalog"/>). Every piece is registered with <c>TryAdd</c>; options are validated at start-up.
    /// </summary>
    public static CheckoutBuilder AddCommerceCheckout(this IServiceCollection services, Action<CheckoutOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<CheckoutOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CheckoutOptions>, CheckoutOptionsValidator>());
        options
            .Validate(static o => o.ReservationTtl > TimeSpan.Zero, "ReservationTtl must be above zero.")
            .Validate(static o => o.SagaLease > TimeSpan.Zero && o.PendingRetryDelay > TimeSpan.Zero && o.RecoveryInterval > TimeSpan.Zero,
                "SagaLease, PendingRetryDelay and RecoveryInterval must be above zero.")
            .Validate(static o => o.RateLimitPeriod > TimeSpan.Zero && o.BusyRetryAfter > TimeSpan.Zero, "RateLimitPeriod and BusyRetryAfter must be above zero.")
            .Validate(static o => o.SoldOutRecheckInterval >= TimeSpan.Zero, "SoldOutRecheckInterval cannot be negative.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InMemoryPriceCatalog>();
        services.TryAddSingleton<IPriceCatalog>(static sp => sp.GetRequiredService<InMemoryPriceCatalog>());
        services.TryAddSingleton<ICheckoutSagaStore>(static sp => new InMemoryCheckoutSagaStore(
            sp.GetRequiredService<InventoryService>(), sp.GetRequiredService<OrderService>()));
        services.TryAddSingleton<CheckoutLimiterFactories>();
        services.TryAddSingleton(static sp =>
        {
            var factories = sp.GetRequiredService<CheckoutLimiterFactories>();
            return CheckoutLimiters.FromOptions(
                sp.GetRequiredService<IOptions<CheckoutOptions>>().Value, factories.Global?.Invoke(sp), factories.PerBuyer?.Invoke(sp));
        });
        services.TryAddSingleton<ISoldOutGate>(static sp => new InProcessSoldOutGate(
            sp.GetRequiredService<IOptions<CheckoutOptions>>().Value.SoldOutRecheckInterval, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(static sp => new CheckoutService(
            sp.GetRequiredService<ICheckoutSagaStore>(),
            sp.GetRequiredService<PaymentService>(),
            sp.GetRequiredService<IPriceCatalog>(),
            sp.GetRequiredService<IOptions<CheckoutOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<CheckoutLimiters>(),
            sp.GetRequiredService<ISoldOutGate>(),
            sp.GetService<ILogger<CheckoutService>>()));
        services.AddHostedService<CheckoutRecoveryService>();
        return new CheckoutBuilder(services);
    }
}

/// <summary>Chooses the checkout's store, catalog, rate limiters and sold-out gate.</summary>
public sealed class CheckoutBuilder
{
    internal CheckoutBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection, for provider packages' extension methods.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Replaces the saga store; provider packages call this from their <c>UseXxx</c> methods.</summary>
    public CheckoutBuilder UseSagaStore(Func<IServiceProvider, ICheckoutSagaStore> storeFactory)
    {
        ArgumentNullException.ThrowIfNull(storeFactory);
        Services.Replace(ServiceDescriptor.Singleton(storeFactory));
        return this;
    }

    /// <summary>Uses the host's price catalog.</summary>
    public CheckoutBuilder UsePriceCatalog(Func<IServiceProvider, IPriceCatalog> catalogFactory)
    {
        ArgumentNullException.ThrowIfNull(catalogFactory);
        Services.Replace(ServiceDescriptor.Singleton(catalogFactory));
        return this;
    }

    /// <summary>Limits all checkouts with this limiter instead of the in-process token bucket of <see cref="CheckoutOptions.GlobalPermitsPerSecond"/>.</summary>
    public CheckoutBuilder UseGlobalRateLimiter(Func<IServiceProvider, RateLimiter> limiterFactory)
    {
        ArgumentNullException.ThrowIfNull(limiterFactory);
        Factories().Global = limiterFactory;
        return this;
    }

    /// <summary>Limits each buyer with this limiter (partition key: the buyer id) instead of the in-process token buckets.</summary>
    public CheckoutBuilder UseBuyerRateLimiter(Func<IServiceProvider, PartitionedRateLimiter<string>> limiterFactory)
    {
        ArgumentNullException.ThrowIfNull(limiterFactory);
        Factories().PerBuyer = limiterFactory;
        return this;
    }

    /// <summary>Uses another sold-out gate (a shared one, for several processes).</summary>
    public CheckoutBuilder UseSoldOutGate(Func<IServiceProvider, ISoldOutGate> gateFactory)
    {
        ArgumentNullException.ThrowIfNull(gateFactory);
        Services.Replace(ServiceDescriptor.Singleton(gateFactory));
        return this;
    }

    private CheckoutLimiterFactories Factories()
    {
        var registered = Services.FirstOrDefault(static d => d.ServiceType == typeof(CheckoutLimiterFactories) && d.ImplementationInstance is not null);
        if (registered?.ImplementationInstance is CheckoutLimiterFactories factories)
        {
            return factories;
        }

        factories = new CheckoutLimiterFactories();
        Services.Replace(ServiceDescriptor.Singleton(factories));
        return factories;
    }
}

/// <summary>The limiter factories chosen on <see cref="CheckoutBuilder"/>.</summary>
internal sealed class CheckoutLimiterFactories
{
    public Func<IServiceProvider, RateLimiter>? Global { get; set; }

    public Func<IServiceProvider, PartitionedRateLimiter<string>>? PerBuyer { get; set; }
}
