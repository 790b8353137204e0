namespace Commerce.Payments.Providers.Adyen;

/// <summary>Settings of the Adyen adapter and its notification parser.</summary>
public sealed class AdyenOptions
{
    /// <summary>The API key of the web service user, sent as <c>X-API-Key</c>. Required; never logged.</summary>
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>The merchant account that processes the payments. Required.</summary>
    public string MerchantAccount { get; set; } = string.Empty;

    /// <summary>
    /// The Checkout API's versioned base address. Default <c>https://checkout-test.adyen.com/v71/</c>; live accounts use
    /// <c>https://{prefix}-checkout-live.adyenpayments.com/checkout/v71/</c>.
    /// </summary>
    public Uri BaseAddress { get; set; } = new("https://checkout-test.adyen.com/v71/");

    /// <summary>The <c>returnUrl</c> Adyen requires on <c>/payments</c>; used only by payment methods that redirect. Required.</summary>
    public string ReturnUrl { get; set; } = string.Empty;

    /// <summary>The hex HMAC key of the Standard webhook, which signs every notification item. Required; never logged.</summary>
    public string HmacKey { get; set; } = string.Empty;

    /// <summary>How long one API call may take before its outcome counts as unknown. Default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting; messages never contain secrets.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new ArgumentException("AdyenOptions.ApiKey is required: set the web service user's API key.", nameof(ApiKey));
        }

        if (string.IsNullOrWhiteSpace(MerchantAccount))
        {
            throw new ArgumentException("AdyenOptions.MerchantAccount is required.", nameof(MerchantAccount));
        }

        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri)
        {
            throw new ArgumentException("AdyenOptions.BaseAddress must be an absolute URI.", nameof(BaseAddress));
        }

        if (!Uri.TryCreate(ReturnUrl, UriKind.Absolute, out _))
        {
            throw new ArgumentException("AdyenOptions.ReturnUrl is required and must be an absolute URL.", nameof(ReturnUrl));
        }

        if (string.IsNullOrWhiteSpace(HmacKey) || HmacKey.Length % 2 != 0 || !HmacKey.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException("AdyenOptions.HmacKey is required and must be the hex key from the webhook settings.", nameof(HmacKey));
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException("AdyenOptions.Timeout must be above zero and at most 5 minutes.", nameof(Timeout));
        }
    }
}
