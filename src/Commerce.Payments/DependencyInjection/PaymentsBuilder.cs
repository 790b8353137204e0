using Commerce.Payments.Idempotency;
using Commerce.Payments.Providers;
using Commerce.Payments.Providers.Simulated;
using Commerce.Payments.Routing;
using Commerce.Payments.Storage;
using Commerce.Payments.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Payments;

/// <summary>Configures the payments engine: its providers, webhook parsers and store.</summary>
public sealed class PaymentsBuilder
{
    internal PaymentsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers a PSP adapter under <paramref name="name"/> (lower-case letters, digits, '-' and '_'; it is stored
    /// with every attempt, so keep it stable).
    /// </summary>
    /// <param name="name">The provider's name.</param>
    /// <param name="factory">Creates the adapter; called once.</param>
    /// <param name="configure">Routing and resilience settings.</param>
    public PaymentsBuilder AddProvider(string name, Func<IServiceProvider, IPaymentProvider> factory, Action<PaymentProviderOptions>? configure = null)
    {
        ProviderName.Validate(name);
        ArgumentNullException.ThrowIfNull(factory);
        var options = new PaymentProviderOptions();
        configure?.Invoke(options);
        Services.AddSingleton(new PaymentProviderRegistration(name, factory, options));
        return this;
    }

    /// <summary>Replaces the store; provider packages call this from their <c>UseXxx</c> methods.</summary>
    public PaymentsBuilder UseStore(Func<IServiceProvider, IPaymentStore> storeFactory)
    {
        ArgumentNullException.ThrowIfNull(storeFactory);
        Services.Replace(ServiceDescriptor.Singleton(storeFactory));
        return this;
    }

    /// <summary>
    /// Keeps callers' idempotency keys in a store of their own instead of the payment store (Redis:
    /// <c>UseRedisIdempotency</c>). The payment store stays the source of truth; see <see cref="IIdempotencyKeyStore"/>.
    /// </summary>
    public PaymentsBuilder UseKeyStore(Func<IServiceProvider, IIdempotencyKeyStore> keyStoreFactory)
    {
        ArgumentNullException.ThrowIfNull(keyStoreFactory);
        Services.Replace(ServiceDescriptor.Singleton(keyStoreFactory));
        return this;
    }

    /// <summary>
    /// Adds the simulated PSP (see <see cref="SimulatedPaymentProvider"/>) under <paramref name="name"/>: for tests,
    /// demos and benchmarks.
    /// </summary>
    public PaymentsBuilder AddSimulatedProvider(
        string name = "simulated", SimulatedPaymentProviderOptions? options = null, Action<PaymentProviderOptions>? configure = null) =>
        AddProvider(name, sp => new SimulatedPaymentProvider(options, sp.GetService<TimeProvider>()), configure);

    /// <summary>Registers the webhook parser of the provider named <paramref name="name"/>.</summary>
    public PaymentsBuilder AddWebhookParser(string name, Func<IServiceProvider, IPaymentWebhookParser> factory)
    {
        ProviderName.Validate(name);
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(new PaymentWebhookParserRegistration(name, factory));
        return this;
    }
}

internal sealed record PaymentProviderRegistration(string Name, Func<IServiceProvider, IPaymentProvider> Factory, PaymentProviderOptions Options);

internal sealed record PaymentWebhookParserRegistration(string Name, Func<IServiceProvider, IPaymentWebhookParser> Factory);

internal static class ProviderName
{
    public static void Validate(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > 32 || !name.All(static c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'))
        {
            throw new ArgumentException($"'{name}' is not a valid provider name: use 1 to 32 lower-case letters, digits, '-' and '_'.", nameof(name));
        }
    }
}
