using Commerce.Payments.Providers.Adyen;
using Commerce.Payments.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Commerce.Payments;

/// <summary>Registers the Adyen adapter and its notification parser.</summary>
public static class AdyenPaymentsBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="AdyenPaymentProvider"/> and <see cref="AdyenWebhookParser"/> under <paramref name="name"/>, over a
    /// named <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/> (<c>Commerce.Payments.Adyen.{name}</c>, which
    /// can be configured further). The options are validated at start-up: a missing API key, merchant account, return
    /// URL or HMAC key stops the host with a message naming the setting.
    /// </summary>
    /// <param name="builder">The payments builder.</param>
    /// <param name="configure">Sets the API key, merchant account, HMAC key and other settings.</param>
    /// <param name="routing">Routing and resilience settings of this provider.</param>
    /// <param name="name">The provider's name, stored with every attempt. Default <c>adyen</c>.</param>
    public static PaymentsBuilder AddAdyen(
        this PaymentsBuilder builder, Action<AdyenOptions> configure, Action<PaymentProviderOptions>? routing = null, string name = "adyen")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ProviderName.Validate(name);
        var services = builder.Services;
        services.AddOptions<AdyenOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdyenOptions>, AdyenOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        var clientName = HttpClientName(name);
        services.AddHttpClient(clientName)
            // The adapter is a singleton holding its client: recycle connections in the handler instead of rotating handlers.
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The adapter applies AdyenOptions.Timeout itself, through the TimeProvider.
            .ConfigureHttpClient(static client => client.Timeout = Timeout.InfiniteTimeSpan);

        return builder
            .AddProvider(
                name,
                sp => new AdyenPaymentProvider(
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient(clientName),
                    sp.GetRequiredService<IOptionsMonitor<AdyenOptions>>().Get(name),
                    sp.GetRequiredService<TimeProvider>()),
                routing)
            .AddWebhookParser(name, sp => new AdyenWebhookParser(sp.GetRequiredService<IOptionsMonitor<AdyenOptions>>().Get(name)));
    }

    internal static string HttpClientName(string name) => "Commerce.Payments.Adyen." + name;
}

/// <summary>Reports the first invalid Adyen setting by name; messages never contain secrets.</summary>
internal sealed class AdyenOptionsValidator : IValidateOptions<AdyenOptions>
{
    public ValidateOptionsResult Validate(string? name, AdyenOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException exception)
        {
            return ValidateOptionsResult.Fail($"Adyen provider '{name}': {exception.Message}");
        }
    }
}
