using Commerce.Payments.Providers;
using Commerce.Payments.Providers.Adyen;
using Commerce.Payments.Providers.Stripe;
using Commerce.Payments.Tests.Providers.Adyen;
using Commerce.Payments.Tests.Providers.Stripe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Commerce.Payments.Tests.Providers;

public sealed class RegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PaymentsBuilder Builder(IServiceCollection services) => new(services);

    [Fact]
    public async Task AddStripe_and_AddAdyen_register_working_providers_and_parsers_under_their_names()
    {
        var stripeApi = new FakeStripeApi();
        var adyenApi = new FakeAdyenCheckoutApi();
        await using var stripeServer = await FakePspServer.StartAsync(stripeApi.HandleAsync);
        await using var adyenServer = await FakePspServer.StartAsync(adyenApi.HandleAsync);
        var services = new ServiceCollection();
        Builder(services)
            .AddStripe(o => (o.ApiKey, o.WebhookSecret, o.BaseAddress) = (FakeStripeApi.ApiKey, "whsec_x", stripeServer.BaseAddress), r => r.Priority = 1)
            .AddAdyen(o =>
            {
                var configured = AdyenPaymentProviderTests.Options(adyenServer.BaseAddress);
                (o.ApiKey, o.MerchantAccount, o.BaseAddress, o.ReturnUrl, o.HmacKey) =
                    (configured.ApiKey, configured.MerchantAccount, configured.BaseAddress, configured.ReturnUrl, configured.HmacKey);
            });
        await using var provider = services.BuildServiceProvider();

        var providers = provider.GetServices<PaymentProviderRegistration>().ToDictionary(static r => r.Name);
        var parsers = provider.GetServices<PaymentWebhookParserRegistration>().ToDictionary(static r => r.Name);
        var stripe = providers["stripe"].Factory(provider);
        var adyen = providers["adyen"].Factory(provider);
        var stripeResult = await stripe.AuthorizeAsync(new ProviderAuthorizeRequest("att_1", new Money(500, Currency.USD), "pm_card_visa", "k1"), Ct);
        var adyenResult = await adyen.AuthorizeAsync(new ProviderAuthorizeRequest("att_2", new Money(500, Currency.EUR), """{"type":"scheme"}""", "k2"), Ct);

        Assert.Equal(1, providers["stripe"].Options.Priority);
        Assert.IsType<StripePaymentProvider>(stripe);
        Assert.IsType<AdyenPaymentProvider>(adyen);
        Assert.IsType<StripeWebhookParser>(parsers["stripe"].Factory(provider));
        Assert.IsType<AdyenWebhookParser>(parsers["adyen"].Factory(provider));
        Assert.Equal(ProviderOutcome.Succeeded, stripeResult.Outcome);
        Assert.Equal(ProviderOutcome.Succeeded, adyenResult.Outcome);
    }

    [Fact]
    public async Task A_host_with_a_missing_stripe_key_fails_at_start_up_naming_the_setting()
    {
        var builder = Host.CreateApplicationBuilder();
        Builder(builder.Services).AddStripe(static o => o.WebhookSecret = "whsec_secret_value", name: "stripe-eu");
        using var host = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("stripe-eu", exception.Message, StringComparison.Ordinal);
        Assert.Contains("ApiKey", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret_value", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_with_a_missing_adyen_hmac_key_fails_at_start_up_naming_the_setting()
    {
        var builder = Host.CreateApplicationBuilder();
        Builder(builder.Services).AddAdyen(static o => (o.ApiKey, o.MerchantAccount, o.ReturnUrl) = ("AQE-key", "Merchant", "https://shop.example/return"));
        using var host = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("HmacKey", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_provider_name_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Builder(new ServiceCollection()).AddStripe(static _ => { }, name: "Stripe EU"));
    }
}
