using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Commerce.Payments.Providers.Stripe;
using Commerce.Payments.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Payments.Tests.Providers.Stripe;

public sealed class StripeWebhookParserTests
{
    private const string Secret = "whsec_test_0123456789";
    private static readonly DateTimeOffset Now = new(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly StripeWebhookParser _parser;

    public StripeWebhookParserTests() =>
        _parser = new StripeWebhookParser(new StripeOptions { ApiKey = "sk_test_x", WebhookSecret = Secret }, _time);

    private static string Event(string type, string dataObject, string id = "evt_1") =>
        $$$"""{"id":"{{{id}}}","object":"event","type":"{{{type}}}","created":{{{Now.AddSeconds(-30).ToUnixTimeSeconds()}}},"data":{"object":{{{dataObject}}}}}""";

    private static string Intent(string status = "requires_capture") =>
        $$$"""{"id":"pi_1","object":"payment_intent","amount":1000,"amount_capturable":1000,"amount_received":600,"currency":"usd","status":"{{{status}}}","latest_charge":"ch_1","metadata":{"reference":"att_1"}}""";

    private static string Sign(string body, DateTimeOffset at, string secret = Secret)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    private static PaymentWebhookRequest Request(string body, string? signature) =>
        new(Encoding.UTF8.GetBytes(body), signature is null
            ? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["stripe-signature"] = signature });

    private static void AssertRejected(Action parse, string code) =>
        Assert.Equal(code, Assert.Throws<CommerceValidationException>(parse).Code);

    [Fact]
    public void A_signed_amount_capturable_update_is_an_authorization()
    {
        var body = Event("payment_intent.amount_capturable_updated", Intent());

        var parsed = Assert.Single(_parser.Parse(Request(body, Sign(body, Now))));

        Assert.Equal(
            new ProviderWebhookEvent("evt_1", WebhookEventKind.Authorized, "att_1", "pi_1", new Money(1000, Currency.USD), Now.AddSeconds(-30)),
            parsed);
    }

    [Theory]
    [InlineData("payment_intent.payment_failed", WebhookEventKind.AuthorizationDeclined, 1000)]
    [InlineData("payment_intent.succeeded", WebhookEventKind.Captured, 600)]
    [InlineData("payment_intent.canceled", WebhookEventKind.Voided, 1000)]
    [InlineData("payment_intent.created", WebhookEventKind.Other, null)]
    public void Payment_intent_events_map_to_kinds(string type, WebhookEventKind kind, int? amount)
    {
        var body = Event(type, Intent());

        var parsed = Assert.Single(_parser.Parse(Request(body, Sign(body, Now))));

        Assert.Equal(kind, parsed.Kind);
        Assert.Equal((long?)amount, parsed.Amount?.MinorUnits);
    }

    [Theory]
    [InlineData("charge.captured", WebhookEventKind.Captured, 700)]
    [InlineData("charge.refunded", WebhookEventKind.Refunded, 300)]
    public void Charge_events_report_the_payment_intent(string type, WebhookEventKind kind, long amount)
    {
        var body = Event(type, """{"id":"ch_1","object":"charge","amount":1000,"amount_captured":700,"amount_refunded":300,"currency":"usd","payment_intent":"pi_1","metadata":{"reference":"att_1"}}""");

        var parsed = Assert.Single(_parser.Parse(Request(body, Sign(body, Now))));

        Assert.Equal((kind, "pi_1", "att_1", amount), (parsed.Kind, parsed.PspReference, parsed.Reference, parsed.Amount!.Value.MinorUnits));
    }

    [Theory]
    [InlineData("refund.updated", "succeeded", WebhookEventKind.Refunded)]
    [InlineData("refund.updated", "failed", WebhookEventKind.RefundFailed)]
    [InlineData("charge.refund.updated", "canceled", WebhookEventKind.RefundFailed)]
    [InlineData("refund.updated", "pending", WebhookEventKind.Other)]
    public void Refund_updates_map_by_status(string type, string status, WebhookEventKind kind)
    {
        var body = Event(type, $$$"""{"id":"re_1","object":"refund","amount":250,"currency":"usd","status":"{{{status}}}","payment_intent":"pi_1","metadata":{"reference":"att_1"}}""");

        var parsed = Assert.Single(_parser.Parse(Request(body, Sign(body, Now))));

        Assert.Equal((kind, "pi_1", "att_1"), (parsed.Kind, parsed.PspReference, parsed.Reference));
    }

    [Fact]
    public void One_matching_signature_among_several_is_enough()
    {
        var body = Event("payment_intent.succeeded", Intent());
        var valid = Sign(body, Now);
        var header = valid.Replace(",v1=", ",v1=" + new string('0', 64) + ",v0=abc,v1=", StringComparison.Ordinal);

        Assert.Single(_parser.Parse(Request(body, header)));
    }

    [Fact]
    public void A_replayed_event_yields_the_same_event_id()
    {
        var body = Event("payment_intent.succeeded", Intent(), id: "evt_replayed");
        var request = Request(body, Sign(body, Now));

        Assert.Equal("evt_replayed", _parser.Parse(request).Single().EventId);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("evt_replayed", _parser.Parse(request).Single().EventId);
    }

    [Fact]
    public void A_signature_made_with_another_secret_is_rejected()
    {
        var body = Event("payment_intent.succeeded", Intent());

        AssertRejected(() => _parser.Parse(Request(body, Sign(body, Now, "whsec_other"))), PaymentErrorCodes.WebhookSignatureInvalid);
    }

    [Fact]
    public void A_tampered_body_is_rejected()
    {
        var body = Event("payment_intent.succeeded", Intent());
        var signature = Sign(body, Now);

        AssertRejected(() => _parser.Parse(Request(body.Replace("1000", "9000", StringComparison.Ordinal), signature)), PaymentErrorCodes.WebhookSignatureInvalid);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void A_timestamp_outside_the_tolerance_is_rejected(int offsetSeconds)
    {
        var body = Event("payment_intent.succeeded", Intent());

        AssertRejected(() => _parser.Parse(Request(body, Sign(body, Now.AddSeconds(offsetSeconds)))), PaymentErrorCodes.WebhookSignatureInvalid);
    }

    [Fact]
    public void A_timestamp_inside_the_tolerance_is_accepted()
    {
        var body = Event("payment_intent.succeeded", Intent());

        Assert.Single(_parser.Parse(Request(body, Sign(body, Now.AddSeconds(-299)))));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1=abc")]
    [InlineData("t=1709294400")]
    public void A_missing_or_incomplete_signature_header_is_rejected(string? header)
    {
        AssertRejected(() => _parser.Parse(Request(Event("payment_intent.succeeded", Intent()), header)), PaymentErrorCodes.WebhookSignatureInvalid);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"id":"evt_1","type":"payment_intent.succeeded"}""")]
    [InlineData("""{"id":"evt_1","type":"payment_intent.succeeded","created":1,"data":{"object":{"id":"pi_1","amount":"lots"}}}""")]
    public void A_malformed_event_with_a_valid_signature_is_rejected_as_malformed(string body)
    {
        AssertRejected(() => _parser.Parse(Request(body, Sign(body, Now))), PaymentErrorCodes.WebhookMalformed);
    }
}
