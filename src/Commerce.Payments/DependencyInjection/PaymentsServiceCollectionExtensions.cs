using System.Diagnostics.Metrics;
using Commerce.Events;
using Commerce.Payments;
using Commerce.Payments.Diagnostics;
using Commerce.Payments.Events;
using Commerce.Payments.Idempotency;
using Commerce.Payments.InMemory;
using Commerce.Payments.Recovery;
using Commerce.Payments.Routing;
using Commerce.Payments.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the payments engine.</summary>
public static class PaymentsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="PaymentService"/>, the unknown-outcome resolver (which also reaps old keys) and the outbox relay,
    /// over the in-memory store unless another is chosen on the returned builder. Add providers on the builder:
    /// <c>.AddSimulatedProvider()</c>, <c>.AddStripe(...)</c>, <c>.AddAdyen(...)</c>. Options are validated at start-up.
    /// </summary>
    public static PaymentsBuilder AddCommercePayments(this IServiceCollection services, Action<PaymentsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PaymentsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PaymentsOptions>, PaymentsOptionsValidator>());
        options
            .Validate(static o => o.KeyLease > TimeSpan.Zero && o.KeyRetention > o.KeyLease, "KeyLease must be above zero and KeyRetention longer than it.")
            .Validate(static o => o.ResolverInterval > TimeSpan.Zero, "ResolverInterval must be above zero.")
            .Validate(static o => o.CommissionBasisPoints.Values.All(static r => r is >= 0 and <= 10_000), "Commission rates must be between 0 and 10000 basis points.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => new PaymentMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IPaymentStore>(static sp => new InMemoryPaymentStore(
            recordEvents: sp.GetService<IEventPublisher>() is not null, sp.GetRequiredService<TimeProvider>()));
        // Keys live with the payments unless a key store is chosen (UseKeyStore, UseRedisIdempotency).
        services.TryAddSingleton<IIdempotencyKeyStore>(static sp => sp.GetRequiredService<IPaymentStore>() as IIdempotencyKeyStore
            ?? throw new InvalidOperationException("The payment store does not hold idempotency keys: choose a key store on the payments builder."));
        services.TryAddSingleton(static sp =>
        {
            var timeProvider = sp.GetRequiredService<TimeProvider>();
            var providers = sp.GetServices<PaymentProviderRegistration>()
                .Select(r => new RoutedProvider(r.Name, r.Factory(sp), r.Options, timeProvider)).ToArray();
            if (providers.Select(static p => p.Name).Distinct(StringComparer.Ordinal).Count() != providers.Length)
            {
                throw new OptionsValidationException(nameof(PaymentsBuilder), typeof(PaymentsBuilder), ["Two payment providers share a name."]);
            }

            // A pending attempt is left to its request for one key lease; a call that can outlast it could be settled
            // by the resolver from a status taken before the call reached the PSP.
            var lease = sp.GetRequiredService<IOptions<PaymentsOptions>>().Value.KeyLease;
            var tooSlow = providers.Where(p => p.Options.WorstCaseCallTime >= lease).Select(p =>
                $"Provider '{p.Name}' may take {p.Options.WorstCaseCallTime.TotalSeconds:0.#} s per call with its retries; KeyLease ({lease.TotalSeconds:0.#} s) must be longer.").ToArray();
            if (tooSlow.Length > 0)
            {
                throw new OptionsValidationException(nameof(PaymentsOptions.KeyLease), typeof(PaymentsOptions), tooSlow);
            }

            var parsers = sp.GetServices<PaymentWebhookParserRegistration>()
                .Select(r => KeyValuePair.Create(r.Name, r.Factory(sp)));
            return new PaymentProviderRegistry(providers, parsers);
        });
        services.TryAddSingleton(static sp => new PaymentService(
            sp.GetRequiredService<IPaymentStore>(),
            sp.GetRequiredService<PaymentProviderRegistry>(),
            sp.GetRequiredService<IOptions<PaymentsOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<PaymentMetrics>(),
            sp.GetService<ILogger<PaymentService>>(),
            sp.GetRequiredService<IIdempotencyKeyStore>()));
        services.AddHostedService<PaymentResolverService>();
        services.AddHostedService<PaymentsOutboxRelayService>();
        return new PaymentsBuilder(services);
    }
}
