using Commerce.Payments.Providers.Stripe;
using Commerce.Payments.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Commerce.Payments;

/// <summary>Registers the Stripe adapter and its webhook parser.</summary>
public static class StripePaymentsBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="StripePaymentProvider"/> and <see cref="StripeWebhookParser"/> under <paramref name="name"/>, over
    /// a named <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/> (<c>Commerce.Payments.Stripe.{name}</c>,
    /// which can be configured further). The options are validated at start-up: a missing API key or webhook secret
    /// stops the host with a message naming the setting.
    /// </summary>
    /// <param name="builder">The payments builder.</param>
    /// <param name="configure">Sets the API key, webhook secret and other settings.</param>
    /// <param name="routing">Routing and resilience settings of this provider.</param>
    /// <param name="name">The provider's name, stored with every attempt. Default <c>stripe</c>.</param>
    public static PaymentsBuilder AddStripe(
        this PaymentsBuilder builder, Action<StripeOptions> configure, Action<PaymentProviderOptions>? routing = null, string name = "stripe")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ProviderName.Validate(name);
        var services = builder.Services;
        services.AddOptions<StripeOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StripeOptions>, StripeOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        var clientName = HttpClientName(name);
        services.AddHttpClient(clientName)
            // The adapter is a singleton holding its client: recycle connections in the handler instead of rotating handlers.
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The adapter applies StripeOptions.Timeout itself, through the TimeProvider.
            .ConfigureHttpClient(static client => client.Timeout = Timeout.InfiniteTimeSpan);

        return builder
            .AddProvider(
                name,
                sp => new StripePaymentProvider(
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient(clientName),
                    sp.GetRequiredService<IOptionsMonitor<StripeOptions>>().Get(name),
                    sp.GetRequiredService<TimeProvider>()),
                routing)
            .AddWebhookParser(
                name,
                sp => new StripeWebhookParser(sp.GetRequiredService<IOptionsMonitor<StripeOptions>>().Get(name), sp.GetRequiredService<TimeProvider>()));
    }

    internal static string HttpClientName(string name) => "Commerce.Payments.Stripe." + name;
}

/// <summary>Reports the first invalid Stripe setting by name; messages never contain secrets.</summary>
internal sealed class StripeOptionsValidator : IValidateOptions<StripeOptions>
{
    public ValidateOptionsResult Validate(string? name, StripeOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException exception)
        {
            return ValidateOptionsResult.Fail($"Stripe provider '{name}': {exception.Message}");
        }
    }
}
