using System.Net;
using Commerce.Payments.Providers;
using Commerce.Payments.Providers.Adyen;

namespace Commerce.Payments.Tests.Providers.Adyen;

public sealed class AdyenPaymentProviderTests : IAsyncLifetime
{
    private const string Card = """{"type":"scheme","encryptedCardNumber":"test_4111111111111111","encryptedExpiryMonth":"test_03","encryptedExpiryYear":"test_2030","encryptedSecurityCode":"test_737"}""";
    private const string RefusedCard = """{"type":"scheme","encryptedCardNumber":"test_4000300011112220"}""";

    private readonly FakeAdyenCheckoutApi _api = new();
    private readonly HttpClient _httpClient = new();
    private FakePspServer? _server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await FakePspServer.StartAsync(_api.HandleAsync);

    public async ValueTask DisposeAsync()
    {
        _httpClient.Dispose();
        await _server!.DisposeAsync();
    }

    internal static AdyenOptions Options(Uri baseAddress) => new()
    {
        ApiKey = FakeAdyenCheckoutApi.ApiKey,
        MerchantAccount = FakeAdyenCheckoutApi.MerchantAccount,
        BaseAddress = new Uri(baseAddress, "v71"),
        ReturnUrl = "https://shop.example/checkout/return",
        HmacKey = AdyenWebhookParserTests.HmacKeyHex,
    };

    private AdyenPaymentProvider Provider(Action<AdyenOptions>? configure = null)
    {
        var options = Options(_server!.BaseAddress);
        configure?.Invoke(options);
        return new AdyenPaymentProvider(_httpClient, options);
    }

    private static ProviderAuthorizeRequest Authorize(string paymentMethod = Card, long amount = 1000, string key = "key-auth-1") =>
        new("att_1", new Money(amount, Currency.EUR), paymentMethod, key);

    [Fact]
    public async Task Authorize_sends_a_manual_capture_payment_and_returns_the_psp_reference()
    {
        var result = await Provider().AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.Succeeded, result.Outcome);
        Assert.NotNull(_api.Find(result.PspReference!));
        var (path, body, key) = Assert.Single(_api.Requests);
        Assert.Equal("/v71/payments", path);
        Assert.Equal("key-auth-1", key);
        Assert.Equal(1000, (long)body["amount"]!["value"]!);
        Assert.Equal("EUR", (string?)body["amount"]!["currency"]);
        Assert.Equal("att_1", (string?)body["reference"]);
        Assert.Equal(FakeAdyenCheckoutApi.MerchantAccount, (string?)body["merchantAccount"]);
        Assert.Equal("test_4111111111111111", (string?)body["paymentMethod"]!["encryptedCardNumber"]);
        Assert.Equal("true", (string?)body["additionalData"]!["manualCapture"]);
    }

    [Fact]
    public async Task Authorize_refused_is_declined_with_the_refusal_reason()
    {
        var result = await Provider().AuthorizeAsync(Authorize(RefusedCard), Ct);

        Assert.Equal(ProviderOutcome.Declined, result.Outcome);
        Assert.Equal("51", result.FailureCode);
        Assert.Equal("Not enough balance", result.FailureMessage);
        Assert.NotNull(result.PspReference);
        Assert.Equal(0, _api.AuthorizationsPlaced);
    }

    [Theory]
    [InlineData("pm_card_visa")]
    [InlineData("""{"encryptedCardNumber":"x"}""")]
    [InlineData("[]")]
    public async Task Authorize_with_a_token_that_is_not_an_adyen_payment_method_is_declined_without_a_call(string token)
    {
        var result = await Provider().AuthorizeAsync(Authorize(token), Ct);

        Assert.Equal(ProviderOutcome.Declined, result.Outcome);
        Assert.Equal("invalid_payment_method", result.FailureCode);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Authorize_repeated_with_the_same_key_charges_once()
    {
        var provider = Provider();

        var first = await provider.AuthorizeAsync(Authorize(), Ct);
        var second = await provider.AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(first, second);
        Assert.Equal(1, _api.AuthorizationsPlaced);
    }

    [Fact]
    public async Task Authorize_reusing_a_key_with_another_body_is_unknown()
    {
        var provider = Provider();
        await provider.AuthorizeAsync(Authorize(amount: 1000), Ct);

        var result = await provider.AuthorizeAsync(Authorize(amount: 2000), Ct);

        Assert.Equal(ProviderOutcome.Unknown, result.Outcome);
        Assert.Equal("704", result.FailureCode);
    }

    [Fact]
    public async Task Authorize_answered_by_a_server_error_is_unknown()
    {
        _api.FailNext(500, "905", "internal", afterProcessing: true);

        var result = await Provider().AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.Unknown, result.Outcome);
        Assert.Equal("905", result.FailureCode);
        Assert.Equal(1, _api.AuthorizationsPlaced);
    }

    [Fact]
    public async Task Authorize_rate_limited_is_not_processed()
    {
        _api.FailNext(429, "000", "validation");

        var result = await Provider().AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.NotProcessed, result.Outcome);
        Assert.Equal(0, _api.AuthorizationsPlaced);
    }

    [Fact]
    public async Task Authorize_with_a_rejected_api_key_is_not_processed_and_says_nothing_of_the_key()
    {
        var result = await Provider(o => o.ApiKey = "AQE-wrong-secret").AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.NotProcessed, result.Outcome);
        Assert.DoesNotContain("AQE", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_timing_out_is_unknown_and_a_retry_with_the_same_key_does_not_charge_again()
    {
        _api.ResponseDelay = TimeSpan.FromSeconds(3);
        var provider = Provider(o => o.Timeout = TimeSpan.FromMilliseconds(300));

        var timedOut = await provider.AuthorizeAsync(Authorize(), Ct);
        _api.ResponseDelay = TimeSpan.Zero;

        // The retry gets a generous timeout: on a loaded machine a prompt answer may still take longer than 300 ms.
        var retried = await Provider(o => o.Timeout = TimeSpan.FromSeconds(30)).AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.Unknown, timedOut.Outcome);
        Assert.Equal("timeout", timedOut.FailureCode);
        Assert.Equal(ProviderOutcome.Succeeded, retried.Outcome);
        Assert.Equal(1, _api.AuthorizationsPlaced);
    }

    [Fact]
    public async Task Authorize_against_a_refused_connection_is_not_processed()
    {
        var result = await Provider(o => o.BaseAddress = new Uri(FakePspServer.ClosedAddress(), "v71/")).AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.NotProcessed, result.Outcome);
        Assert.Equal("connection_failed", result.FailureCode);
    }

    [Fact]
    public async Task Captures_cancels_and_refunds_are_accepted_as_received_with_our_reference()
    {
        var provider = Provider();
        var psp = (await provider.AuthorizeAsync(Authorize(), Ct)).PspReference!;

        var capture = await provider.CaptureAsync(new ProviderCaptureRequest("att_1", psp, new Money(600, Currency.EUR), false, "key-cap"), Ct);
        var refund = await provider.RefundAsync(new ProviderRefundRequest("att_1", psp, new Money(200, Currency.EUR), "key-ref"), Ct);
        var cancel = await provider.VoidAsync(new ProviderVoidRequest("att_1", psp, "key-void"), Ct);

        Assert.Equal(ProviderResult.Success(psp), capture);
        Assert.Equal(ProviderResult.Success(psp), refund);
        Assert.Equal(ProviderResult.Success(psp), cancel);
        Assert.Equal([("captures", (long?)600, "att_1"), ("refunds", 200, "att_1"), ("cancels", null, "att_1")], _api.Find(psp)!.Modifications);
        var cancelBody = _api.Requests.Single(r => r.Path.EndsWith("/cancels", StringComparison.Ordinal)).Body;
        Assert.Null(cancelBody["amount"]);
    }

    [Fact]
    public async Task A_modification_of_an_unknown_payment_is_declined_with_adyens_error_code()
    {
        var result = await Provider().CaptureAsync(new ProviderCaptureRequest("att_1", "PSPUNKNOWN", new Money(100, Currency.EUR), true, "key-cap"), Ct);

        Assert.Equal(ProviderOutcome.Declined, result.Outcome);
        Assert.Equal("167", result.FailureCode);
    }

    [Fact]
    public async Task A_modification_answered_by_a_server_error_is_unknown()
    {
        var provider = Provider();
        var psp = (await provider.AuthorizeAsync(Authorize(), Ct)).PspReference!;
        _api.FailNext(503, "000", "internal");

        var result = await provider.RefundAsync(new ProviderRefundRequest("att_1", psp, new Money(100, Currency.EUR), "key-ref"), Ct);

        Assert.Equal(ProviderOutcome.Unknown, result.Outcome);
    }

    [Fact]
    public async Task Status_is_unavailable_because_the_checkout_api_has_no_lookup()
    {
        var provider = Provider();
        var psp = (await provider.AuthorizeAsync(Authorize(), Ct)).PspReference!;

        Assert.Equal(ProviderStatus.Unavailable, await provider.GetStatusAsync(new ProviderStatusRequest("att_1", psp, Currency.EUR), Ct));
        Assert.Equal(ProviderStatus.Unavailable, await provider.GetStatusAsync(new ProviderStatusRequest("att_never", null, Currency.EUR), Ct));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, ProviderOutcome.Declined)]
    [InlineData(HttpStatusCode.UnprocessableEntity, ProviderOutcome.Declined)]
    [InlineData(HttpStatusCode.Forbidden, ProviderOutcome.NotProcessed)]
    [InlineData(HttpStatusCode.TooManyRequests, ProviderOutcome.NotProcessed)]
    [InlineData(HttpStatusCode.InternalServerError, ProviderOutcome.Unknown)]
    public void Error_responses_are_classified_by_what_adyen_documents(HttpStatusCode status, ProviderOutcome expected)
    {
        var body = """{"status":422,"errorCode":"101","message":"Invalid card number","errorType":"validation","pspReference":"F7WCWRG6JPHR8HG2"}"""u8.ToArray();

        Assert.Equal(expected, AdyenPaymentProvider.FailureOf(status, body).Outcome);
    }

    [Fact]
    public void Missing_settings_are_rejected_by_name()
    {
        var options = Options(new Uri("http://127.0.0.1/"));
        options.MerchantAccount = "";

        var exception = Assert.Throws<ArgumentException>(() => new AdyenPaymentProvider(_httpClient, options));

        Assert.Contains("MerchantAccount", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeAdyenCheckoutApi.ApiKey, exception.Message, StringComparison.Ordinal);
    }
}
