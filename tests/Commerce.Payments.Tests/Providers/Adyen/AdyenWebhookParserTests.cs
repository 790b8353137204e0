using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Commerce.Payments.Providers.Adyen;
using Commerce.Payments.Webhooks;

namespace Commerce.Payments.Tests.Providers.Adyen;

public sealed class AdyenWebhookParserTests
{
    public const string HmacKeyHex = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";

    private readonly AdyenWebhookParser _parser = new(new AdyenOptions { HmacKey = HmacKeyHex });

    internal static JsonObject Item(
        string eventCode, bool success = true, string psp = "7914073381342284", string? original = null, string reference = "att_1", long value = 1130, string currency = "EUR")
    {
        var item = new JsonObject
        {
            ["amount"] = new JsonObject { ["currency"] = currency, ["value"] = value },
            ["eventCode"] = eventCode,
            ["eventDate"] = "2024-03-01T12:30:00+01:00",
            ["merchantAccountCode"] = "CommerceEngineECOM",
            ["merchantReference"] = reference,
            ["pspReference"] = psp,
            ["reason"] = "",
            ["success"] = success ? "true" : "false",
        };
        if (original is not null)
        {
            item["originalReference"] = original;
        }

        return item;
    }

    internal static JsonObject Signed(JsonObject item, string keyHex = HmacKeyHex)
    {
        var signed = string.Join(
            ':',
            (string?)item["pspReference"],
            (string?)item["originalReference"] ?? "",
            (string?)item["merchantAccountCode"],
            (string?)item["merchantReference"],
            (long)item["amount"]!["value"]!,
            (string?)item["amount"]!["currency"],
            (string?)item["eventCode"],
            (string?)item["success"]);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromHexString(keyHex), Encoding.UTF8.GetBytes(signed)));
        item["additionalData"] = new JsonObject { ["hmacSignature"] = signature };
        return item;
    }

    private static PaymentWebhookRequest Request(params JsonObject[] items)
    {
        var wrappers = new JsonArray(items.Select(static i => (JsonNode)new JsonObject { ["NotificationRequestItem"] = i }).ToArray());
        var body = new JsonObject { ["live"] = "false", ["notificationItems"] = wrappers }.ToJsonString();
        return Request(body);
    }

    private static PaymentWebhookRequest Request(string body) =>
        new(Encoding.UTF8.GetBytes(body), new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));

    [Fact]
    public void A_signed_authorisation_is_parsed()
    {
        var events = _parser.Parse(Request(Signed(Item("AUTHORISATION"))));

        var parsed = Assert.Single(events);
        Assert.Equal(
            new ProviderWebhookEvent(
                "7914073381342284:AUTHORISATION:true", WebhookEventKind.Authorized, "att_1", "7914073381342284",
                new Money(1130, Currency.EUR), new DateTimeOffset(2024, 3, 1, 11, 30, 0, TimeSpan.Zero)),
            parsed);
    }

    [Theory]
    [InlineData("AUTHORISATION", false, WebhookEventKind.AuthorizationDeclined)]
    [InlineData("CAPTURE", true, WebhookEventKind.Captured)]
    [InlineData("CAPTURE", false, WebhookEventKind.CaptureFailed)]
    [InlineData("CAPTURE_FAILED", true, WebhookEventKind.CaptureFailed)]
    [InlineData("CANCELLATION", true, WebhookEventKind.Voided)]
    [InlineData("CANCELLATION", false, WebhookEventKind.Other)]
    [InlineData("REFUND", true, WebhookEventKind.Refunded)]
    [InlineData("REFUND", false, WebhookEventKind.RefundFailed)]
    [InlineData("REFUND_FAILED", true, WebhookEventKind.RefundFailed)]
    [InlineData("REPORT_AVAILABLE", true, WebhookEventKind.Other)]
    public void Event_codes_map_to_kinds(string eventCode, bool success, WebhookEventKind kind)
    {
        var parsed = Assert.Single(_parser.Parse(Request(Signed(Item(eventCode, success)))));

        Assert.Equal(kind, parsed.Kind);
    }

    [Fact]
    public void A_modification_reports_the_payments_psp_reference_and_its_own_in_the_event_id()
    {
        var parsed = Assert.Single(_parser.Parse(Request(Signed(Item("CAPTURE", psp: "CAP0000000000001", original: "7914073381342284")))));

        Assert.Equal("7914073381342284", parsed.PspReference);
        Assert.Equal("CAP0000000000001:CAPTURE:true", parsed.EventId);
    }

    [Fact]
    public void Several_items_are_all_returned()
    {
        var events = _parser.Parse(Request(Signed(Item("AUTHORISATION")), Signed(Item("CAPTURE", psp: "CAP1", original: "7914073381342284"))));

        Assert.Equal([WebhookEventKind.Authorized, WebhookEventKind.Captured], events.Select(static e => e.Kind));
    }

    [Fact]
    public void A_replayed_notification_yields_the_same_event_id()
    {
        var body = Request(Signed(Item("REFUND", psp: "REF1", original: "7914073381342284")));

        Assert.Equal(_parser.Parse(body).Single().EventId, _parser.Parse(body).Single().EventId);
    }

    [Fact]
    public void A_signature_made_with_another_key_is_rejected()
    {
        var exception = Assert.Throws<CommerceValidationException>(() =>
            _parser.Parse(Request(Signed(Item("AUTHORISATION"), keyHex: "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"))));

        Assert.Equal(PaymentErrorCodes.WebhookSignatureInvalid, exception.Code);
    }

    [Theory]
    [InlineData("value")]
    [InlineData("success")]
    [InlineData("merchantReference")]
    public void A_tampered_item_is_rejected(string field)
    {
        var item = Signed(Item("AUTHORISATION"));
        switch (field)
        {
            case "value":
                item["amount"]!["value"] = 1;
                break;
            case "success":
                item["success"] = "false";
                break;
            default:
                item["merchantReference"] = "att_other";
                break;
        }

        var exception = Assert.Throws<CommerceValidationException>(() => _parser.Parse(Request(item)));

        Assert.Equal(PaymentErrorCodes.WebhookSignatureInvalid, exception.Code);
    }

    [Fact]
    public void One_bad_item_rejects_the_whole_notification()
    {
        var bad = Item("CAPTURE", psp: "CAP1");

        var exception = Assert.Throws<CommerceValidationException>(() => _parser.Parse(Request(Signed(Item("AUTHORISATION")), bad)));

        Assert.Equal(PaymentErrorCodes.WebhookSignatureInvalid, exception.Code);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"live":"false","notificationItems":[]}""")]
    [InlineData("""{"live":"false","notificationItems":[{"NotificationRequestItem":{"eventCode":"AUTHORISATION"}}]}""")]
    public void A_malformed_notification_is_rejected(string body)
    {
        var exception = Assert.Throws<CommerceValidationException>(() => _parser.Parse(Request(body)));

        Assert.Equal(PaymentErrorCodes.WebhookMalformed, exception.Code);
    }

    [Fact]
    public void A_key_that_is_not_hex_is_rejected_at_construction()
    {
        Assert.Throws<ArgumentException>(() => new AdyenWebhookParser(new AdyenOptions { HmacKey = "not-hex" }));
    }
}
