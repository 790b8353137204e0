using System.Net;
using Commerce.Payments.Providers;
using Commerce.Payments.Providers.Stripe;

namespace Commerce.Payments.Tests.Providers.Stripe;

public sealed class StripePaymentProviderTests : IAsyncLifetime
{
    private readonly FakeStripeApi _api = new();
    private readonly HttpClient _httpClient = new();
    private FakePspServer? _server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await FakePspServer.StartAsync(_api.HandleAsync);

    public async ValueTask DisposeAsync()
    {
        _httpClient.Dispose();
        await _server!.DisposeAsync();
    }

    private StripePaymentProvider Provider(Action<StripeOptions>? configure = null)
    {
        var options = new StripeOptions { ApiKey = FakeStripeApi.ApiKey, WebhookSecret = "whsec_test", BaseAddress = _server!.BaseAddress };
        configure?.Invoke(options);
        return new StripePaymentProvider(_httpClient, options);
    }

    private static ProviderAuthorizeRequest Authorize(string reference = "att_1", long amount = 1000, string paymentMethod = "pm_card_visa", string key = "key-auth-1") =>
        new(reference, new Money(amount, Currency.USD), paymentMethod, key);

    [Fact]
    public async Task Authorize_sends_a_confirmed_manual_capture_payment_intent_and_returns_its_id()
    {
        var result = await Provider().AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.Succeeded, result.Outcome);
        Assert.StartsWith("pi_", result.PspReference, StringComparison.Ordinal);
        Assert.Equal("requires_capture", _api.Find(result.PspReference!)!.Status);
        var sent = Assert.Single(_api.Requests);
        Assert.Equal("POST", sent.Method);
        Assert.Equal("/v1/payment_intents", sent.Path);
        Assert.Equal("1000", sent.Form["amount"]);
        Assert.Equal("usd", sent.Form["currency"]);
        Assert.Equal("pm_card_visa", sent.Form["payment_method"]);
        Assert.Equal("true", sent.Form["confirm"]);
        Assert.Equal("manual", sent.Form["capture_method"]);
        Assert.Equal("att_1", sent.Form["metadata[reference]"]);
        Assert.Equal("key-auth-1", sent.IdempotencyKey);
        Assert.Equal("Bearer " + FakeStripeApi.ApiKey, sent.Authorization);
        Assert.Equal("2024-06-20", sent.StripeVersion);
    }

    [Fact]
    public async Task Authorize_escapes_form_values()
    {
        const string Reference = "a&b=c+d é'%[x]";

        var result = await Provider().AuthorizeAsync(Authorize(reference: Reference), Ct);

        Assert.Equal(ProviderOutcome.Succeeded, result.Outcome);
        Assert.Equal(Reference, _api.Find(result.PspReference!)!.Reference);
    }

    [Theory]
    [InlineData("pm_card_chargeDeclined", "generic_decline")]
    [InlineData("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds")]
    public async Task Authorize_with_a_declined_card_is_declined_with_the_decline_code(string paymentMethod, string declineCode)
    {
        var result = await Provider().AuthorizeAsync(Authorize(paymentMethod: paymentMethod), Ct);

        Assert.Equal(ProviderOutcome.Declined, result.Outcome);
        Assert.Equal(declineCode, result.FailureCode);
        Assert.Equal("Your card was declined.", result.FailureMessage);
        Assert.Equal("requires_payment_method", _api.Find(result.PspReference!)!.Status);
        Assert.Equal(0, _api.AuthorizationsPlaced);
    }

    [Fact]
    public async Task Authorize_with_an_unknown_payment_method_is_declined_as_an_invalid_request()
    {
        var result = await Provider().AuthorizeAsync(Authorize(paymentMethod: "tok_nonsense"), Ct);

        Assert.Equal(ProviderOutcome.Declined, result.Outcome);
        Assert.Equal("resource_missing", result.FailureCode);
    }

    [Fact]
    public async Task Authorize_repeated_with_the_same_key_returns_the_first_outcome_and_charges_once()
    {
        var provider = Provider();

        var first = await provider.AuthorizeAsync(Authorize(), Ct);
        var second = await provider.AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(first, second);
        Assert.Equal(1, _api.AuthorizationsPlaced);
    }

    [Fact]
    public async Task Authorize_reusing_a_key_with_another_body_is_unknown_never_a_decline()
    {
        var provider = Provider();
        await provider.AuthorizeAsync(Authorize(amount: 1000), Ct);

        var result = await provider.AuthorizeAsync(Authorize(amount: 2000), Ct);

        Assert.Equal(ProviderOutcome.Unknown, result.Outcome);
        Assert.Equal("idempotency_error", result.FailureCode);
    }

    [Fact]
    public async Task Authorize_rate_limited_is_not_processed()
    {
        _api.FailNext(429, "invalid_request_error", "rate_limit");

        var result = await Provider().AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.NotProcessed, result.Outcome);
        Assert.Equal("rate_limit", result.FailureCode);
        Assert.Equal(0, _api.AuthorizationsPlaced);
    }

    [Fact]
    public async Task Authorize_answered_by_a_server_error_is_unknown_and_the_status_finds_the_charge()
    {
        _api.FailNext(500, "api_error", "api_error", afterProcessing: true);
        var provider = Provider();

        var result = await provider.AuthorizeAsync(Authorize(), Ct);
        var status = await provider.GetStatusAsync(new ProviderStatusRequest("att_1", null, Currency.USD), Ct);

        Assert.Equal(ProviderOutcome.Unknown, result.Outcome);
        Assert.Equal(ProviderPaymentState.Authorized, status.State);
        Assert.Equal(1000, status.AuthorizedMinor);
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
        var provider = Provider(o => o.BaseAddress = FakePspServer.ClosedAddress());

        var result = await provider.AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.NotProcessed, result.Outcome);
        Assert.Equal("connection_failed", result.FailureCode);
    }

    [Fact]
    public async Task Authorize_with_a_rejected_key_is_not_processed_and_says_nothing_of_the_key()
    {
        var provider = Provider(o => o.ApiKey = "sk_test_wrong_secret_value");

        var result = await provider.AuthorizeAsync(Authorize(), Ct);

        Assert.Equal(ProviderOutcome.NotProcessed, result.Outcome);
        Assert.Equal("authentication_error", result.FailureCode);
        Assert.DoesNotContain("sk_", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("cdef", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capture_in_parts_keeps_the_authorization_open_until_the_final_capture()
    {
        var provider = Provider();
        var authorized = await provider.AuthorizeAsync(Authorize(), Ct);
        var pspReference = authorized.PspReference!;

        var partial = await provider.CaptureAsync(new ProviderCaptureRequest("att_1", pspReference, new Money(300, Currency.USD), IsFinal: false, "key-cap-1"), Ct);
        Assert.Equal("requires_capture", _api.Find(pspReference)!.Status);
        var final = await provider.CaptureAsync(new ProviderCaptureRequest("att_1", pspReference, new Money(500, Currency.USD), IsFinal: true, "key-cap-2"), Ct);
        var status = await provider.GetStatusAsync(new ProviderStatusRequest("att_1", pspReference, Currency.USD), Ct);

        Assert.Equal(ProviderResult.Success(pspReference), partial);
        Assert.Equal(ProviderResult.Success(pspReference), final);
        var captures = _api.Requests.Where(static r => r.Path.EndsWith("/capture", StringComparison.Ordinal)).ToList();
        Assert.Equal("false", captures[0].Form["final_capture"]);
        Assert.False(captures[1].Form.ContainsKey("final_capture"));
        Assert.Equal(["300", "500"], captures.Select(static c => c.Form["amount_to_capture"]));
        Assert.Equal(new ProviderStatus(ProviderPaymentState.Authorized, pspReference, 1000, 800, 0), status);
    }

    [Fact]
    public async Task Capture_above_the_capturable_amount_is_declined()
    {
        var provider = Provider();
        var authorized = await provider.AuthorizeAsync(Authorize(), Ct);

        var result = await provider.CaptureAsync(new ProviderCaptureRequest("att_1", authorized.PspReference!, new Money(1001, Currency.USD), true, "key-cap"), Ct);

        Assert.Equal(ProviderOutcome.Declined, result.Outcome);
        Assert.Equal("amount_too_large", result.FailureCode);
        Assert.Equal(0, _api.Find(authorized.PspReference!)!.AmountReceived);
    }

    [Fact]
    public async Task Void_cancels_the_payment_intent()
    {
        var provider = Provider();
        var authorized = await provider.AuthorizeAsync(Authorize(), Ct);

        var result = await provider.VoidAsync(new ProviderVoidRequest("att_1", authorized.PspReference!, "key-void"), Ct);
        var again = await provider.VoidAsync(new ProviderVoidRequest("att_1", authorized.PspReference!, "key-void-2"), Ct);

        Assert.Equal(ProviderResult.Success(authorized.PspReference), result);
        Assert.Equal("canceled", _api.Find(authorized.PspReference!)!.Status);
        Assert.Equal(ProviderOutcome.Declined, again.Outcome);
        Assert.Equal("payment_intent_unexpected_state", again.FailureCode);
    }

    [Fact]
    public async Task Refunds_add_up_and_cannot_exceed_the_captured_amount()
    {
        var provider = Provider();
        var psp = (await provider.AuthorizeAsync(Authorize(), Ct)).PspReference!;
        await provider.CaptureAsync(new ProviderCaptureRequest("att_1", psp, new Money(1000, Currency.USD), true, "key-cap"), Ct);

        var first = await provider.RefundAsync(new ProviderRefundRequest("att_1", psp, new Money(400, Currency.USD), "key-ref-1"), Ct);
        var second = await provider.RefundAsync(new ProviderRefundRequest("att_1", psp, new Money(700, Currency.USD), "key-ref-2"), Ct);
        var status = await provider.GetStatusAsync(new ProviderStatusRequest("att_1", psp, Currency.USD), Ct);

        Assert.Equal(ProviderResult.Success(psp), first);
        Assert.Equal(ProviderOutcome.Declined, second.Outcome);
        Assert.Equal("amount_too_large", second.FailureCode);
        Assert.Equal(new ProviderStatus(ProviderPaymentState.Authorized, psp, 1000, 1000, 400), status);
        var refund = _api.Requests.First(static r => r.Path == "/v1/refunds");
        Assert.Equal(psp, refund.Form["payment_intent"]);
        Assert.Equal("400", refund.Form["amount"]);
        Assert.Equal("att_1", refund.Form["metadata[reference]"]);
    }

    [Fact]
    public async Task A_failed_refund_is_declined_and_a_pending_one_accepted()
    {
        var provider = Provider();
        var psp = (await provider.AuthorizeAsync(Authorize(), Ct)).PspReference!;
        await provider.CaptureAsync(new ProviderCaptureRequest("att_1", psp, new Money(1000, Currency.USD), true, "key-cap"), Ct);

        _api.RefundStatus = "failed";
        var failed = await provider.RefundAsync(new ProviderRefundRequest("att_1", psp, new Money(100, Currency.USD), "key-ref-1"), Ct);
        _api.RefundStatus = "pending";
        var pending = await provider.RefundAsync(new ProviderRefundRequest("att_1", psp, new Money(100, Currency.USD), "key-ref-2"), Ct);

        Assert.Equal(ProviderOutcome.Declined, failed.Outcome);
        Assert.Equal("expired_or_canceled_card", failed.FailureCode);
        Assert.Equal(ProviderResult.Success(psp), pending);
    }

    [Fact]
    public async Task Status_by_reference_comes_from_search_once_indexed()
    {
        var provider = Provider();
        var psp = (await provider.AuthorizeAsync(Authorize(reference: "it's \\ odd"), Ct)).PspReference!;

        var status = await provider.GetStatusAsync(new ProviderStatusRequest("it's \\ odd", null, Currency.USD), Ct);

        Assert.Equal(new ProviderStatus(ProviderPaymentState.Authorized, psp, 1000, 0, 0), status);
        Assert.DoesNotContain(_api.Requests, static r => r.Path == "/v1/payment_intents" && r.Method == "GET");
    }

    [Fact]
    public async Task Status_by_reference_while_the_search_index_lags_is_found_in_the_recent_list()
    {
        _api.SearchLag = TimeSpan.FromMinutes(10);
        _api.Seed(150);
        var provider = Provider();
        var psp = (await provider.AuthorizeAsync(Authorize(reference: "att_lag"), Ct)).PspReference!;
        _api.Seed(150);

        var status = await provider.GetStatusAsync(new ProviderStatusRequest("att_lag", null, Currency.USD), Ct);

        Assert.Equal(ProviderPaymentState.Authorized, status.State);
        Assert.Equal(psp, status.PspReference);
    }

    [Fact]
    public async Task Status_of_a_reference_stripe_never_saw_is_not_found()
    {
        _api.SearchLag = TimeSpan.FromMinutes(10);
        _api.Seed(150);

        var status = await Provider().GetStatusAsync(new ProviderStatusRequest("att_never", null, Currency.USD), Ct);

        Assert.Equal(ProviderStatus.NotFound, status);
    }

    [Fact]
    public async Task Status_is_unavailable_when_the_recent_list_is_longer_than_the_page_budget()
    {
        _api.Seed(250);

        var status = await Provider(o => o.MaxRecentListPages = 2).GetStatusAsync(new ProviderStatusRequest("att_never", null, Currency.USD), Ct);

        Assert.Equal(ProviderStatus.Unavailable, status);
    }

    [Fact]
    public async Task Status_of_an_unknown_payment_intent_id_is_not_found()
    {
        var status = await Provider().GetStatusAsync(new ProviderStatusRequest("att_1", "pi_missing", Currency.USD), Ct);

        Assert.Equal(ProviderStatus.NotFound, status);
    }

    [Fact]
    public async Task Status_of_a_declined_authorization_is_declined_and_of_a_voided_one_voided()
    {
        var provider = Provider();
        var declined = await provider.AuthorizeAsync(Authorize(reference: "att_d", paymentMethod: "pm_card_chargeDeclined", key: "k1"), Ct);
        var voided = await provider.AuthorizeAsync(Authorize(reference: "att_v", key: "k2"), Ct);
        await provider.VoidAsync(new ProviderVoidRequest("att_v", voided.PspReference!, "k3"), Ct);

        var declinedStatus = await provider.GetStatusAsync(new ProviderStatusRequest("att_d", null, Currency.USD), Ct);
        var voidedStatus = await provider.GetStatusAsync(new ProviderStatusRequest("att_v", voided.PspReference, Currency.USD), Ct);

        Assert.Equal(ProviderPaymentState.Declined, declinedStatus.State);
        Assert.Equal(declined.PspReference, declinedStatus.PspReference);
        Assert.Equal(ProviderPaymentState.Voided, voidedStatus.State);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(429)]
    public async Task Status_when_stripe_fails_is_unavailable(int status)
    {
        _api.FailNext(status, "api_error", "api_error");

        var result = await Provider().GetStatusAsync(new ProviderStatusRequest("att_1", null, Currency.USD), Ct);

        Assert.Equal(ProviderStatus.Unavailable, result);
    }

    [Fact]
    public async Task Status_when_stripe_is_unreachable_is_unavailable()
    {
        var provider = Provider(o => o.BaseAddress = FakePspServer.ClosedAddress());

        Assert.Equal(ProviderStatus.Unavailable, await provider.GetStatusAsync(new ProviderStatusRequest("att_1", "pi_1", Currency.USD), Ct));
        Assert.Equal(ProviderStatus.Unavailable, await provider.GetStatusAsync(new ProviderStatusRequest("att_1", null, Currency.USD), Ct));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadGateway, ProviderOutcome.Unknown)]
    [InlineData(HttpStatusCode.Conflict, ProviderOutcome.Unknown)]
    [InlineData(HttpStatusCode.Forbidden, ProviderOutcome.NotProcessed)]
    [InlineData(HttpStatusCode.PaymentRequired, ProviderOutcome.Declined)]
    [InlineData(HttpStatusCode.BadRequest, ProviderOutcome.Declined)]
    public void Error_responses_are_classified_by_what_stripe_documents(HttpStatusCode status, ProviderOutcome expected)
    {
        var body = """{"error":{"type":"card_error","code":"some_code","message":"m"}}"""u8.ToArray();

        Assert.Equal(expected, StripePaymentProvider.FailureOf(status, body).Outcome);
    }

    [Fact]
    public void An_unreadable_client_error_is_unknown()
    {
        Assert.Equal(ProviderOutcome.Unknown, StripePaymentProvider.FailureOf(HttpStatusCode.BadRequest, "<html>"u8.ToArray()).Outcome);
    }

    [Fact]
    public void Missing_settings_are_rejected_by_name_without_echoing_secrets()
    {
        var noKey = Assert.Throws<ArgumentException>(() => new StripePaymentProvider(_httpClient, new StripeOptions { WebhookSecret = "whsec_secret_value" }));
        var noSecret = Assert.Throws<ArgumentException>(() => new StripePaymentProvider(_httpClient, new StripeOptions { ApiKey = "sk_test_secret_value" }));

        Assert.Contains("ApiKey", noKey.Message, StringComparison.Ordinal);
        Assert.Contains("WebhookSecret", noSecret.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret_value", noKey.Message + noSecret.Message, StringComparison.Ordinal);
    }
}
