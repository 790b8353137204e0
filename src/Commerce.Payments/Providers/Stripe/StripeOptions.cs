namespace Commerce.Payments.Providers.Stripe;

/// <summary>Settings of the Stripe adapter and its webhook parser.</summary>
public sealed class StripeOptions
{
    /// <summary>The secret API key (<c>sk_live_...</c> or <c>sk_test_...</c>), sent as a bearer token. Required; never logged.</summary>
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>The API's base address. Default <c>https://api.stripe.com/</c>.</summary>
    public Uri BaseAddress { get; set; } = new("https://api.stripe.com/");

    /// <summary>
    /// The API version sent as <c>Stripe-Version</c>, so that response shapes do not change with the account's default
    /// version. Default <c>2024-06-20</c>; empty sends none.
    /// </summary>
    public string ApiVersion { get; set; } = "2024-06-20";

    /// <summary>The webhook endpoint's signing secret (<c>whsec_...</c>). Required; never logged.</summary>
    public string WebhookSecret { get; set; } = string.Empty;

    /// <summary>How far a webhook's signed timestamp may be from now before it is rejected as a replay. Default 5 minutes.</summary>
    public TimeSpan WebhookTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one API call may take before its outcome counts as unknown. Default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How far back a status query lists recent PaymentIntents when search finds nothing: Stripe's search index lags
    /// writes (under a minute normally, up to an hour during incidents), the list API does not. Default 1 hour.
    /// </summary>
    public TimeSpan SearchIndexLag { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The most pages of 100 recent PaymentIntents a status query reads before giving up with
    /// <see cref="ProviderPaymentState.Unavailable"/> rather than claiming the payment does not exist. Default 10.
    /// </summary>
    public int MaxRecentListPages { get; set; } = 10;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting; messages never contain secrets.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new ArgumentException("StripeOptions.ApiKey is required: set the secret API key.", nameof(ApiKey));
        }

        if (string.IsNullOrWhiteSpace(WebhookSecret))
        {
            throw new ArgumentException("StripeOptions.WebhookSecret is required: set the webhook endpoint's signing secret.", nameof(WebhookSecret));
        }

        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri)
        {
            throw new ArgumentException("StripeOptions.BaseAddress must be an absolute URI.", nameof(BaseAddress));
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException("StripeOptions.Timeout must be above zero and at most 5 minutes.", nameof(Timeout));
        }

        if (WebhookTolerance <= TimeSpan.Zero)
        {
            throw new ArgumentException("StripeOptions.WebhookTolerance must be above zero.", nameof(WebhookTolerance));
        }

        if (SearchIndexLag < TimeSpan.Zero)
        {
            throw new ArgumentException("StripeOptions.SearchIndexLag must not be negative.", nameof(SearchIndexLag));
        }

        if (MaxRecentListPages < 1)
        {
            throw new ArgumentException("StripeOptions.MaxRecentListPages must be at least 1.", nameof(MaxRecentListPages));
        }
    }
}
