using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Commerce.Payments.Webhooks;

namespace Commerce.Payments.Providers.Adyen;

/// <summary>
/// Verifies and parses Adyen's Standard notifications (JSON <c>notificationItems[].NotificationRequestItem</c>). Each
/// item's <c>additionalData.hmacSignature</c> is the base64 HMAC-SHA256, with the hex HMAC key, of
/// <c>pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success</c>,
/// compared in constant time; one bad item rejects the whole request.
/// </summary>
/// <remarks>
/// <para>
/// Adyen's items have no event id and no signed timestamp, so there is no tolerance window: replays are caught by the
/// orchestrator's deduplication on <see cref="ProviderWebhookEvent.EventId"/>, which is
/// <c>{pspReference}:{eventCode}:{success}</c>. The pspReference is unique per payment and per modification, and Adyen
/// re-sends the same item unchanged when it retries, so the id is stable across deliveries.
/// </para>
/// <para>
/// <see cref="ProviderWebhookEvent.PspReference"/> is the payment's reference: <c>originalReference</c> for
/// modifications, <c>pspReference</c> for AUTHORISATION. <see cref="ProviderWebhookEvent.Reference"/> is the
/// <c>merchantReference</c>, which the adapter sets to our attempt's reference on payments and modifications alike.
/// </para>
/// </remarks>
public sealed class AdyenWebhookParser : IPaymentWebhookParser
{
    private readonly byte[] _hmacKey;

    /// <summary>Creates the parser from <see cref="AdyenOptions.HmacKey"/>; no other setting is needed.</summary>
    /// <exception cref="ArgumentException">The HMAC key is missing or not hex.</exception>
    public AdyenWebhookParser(AdyenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.HmacKey) || options.HmacKey.Length % 2 != 0 || !options.HmacKey.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException("AdyenOptions.HmacKey is required and must be the hex key from the webhook settings.", nameof(options));
        }

        _hmacKey = Convert.FromHexString(options.HmacKey);
    }

    /// <inheritdoc />
    public IReadOnlyList<ProviderWebhookEvent> Parse(PaymentWebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        AdyenNotification? notification;
        try
        {
            notification = JsonSerializer.Deserialize(request.Body.Span, AdyenJsonContext.Default.AdyenNotification);
        }
        catch (JsonException)
        {
            throw Malformed("The Adyen notification is not valid JSON or has an unexpected shape.");
        }

        if (notification?.NotificationItems is not { Count: > 0 } items)
        {
            throw Malformed("The Adyen notification has no notificationItems.");
        }

        var events = new List<ProviderWebhookEvent>(items.Count);
        foreach (var wrapper in items)
        {
            if (wrapper.Item is not { PspReference: { Length: > 0 }, EventCode: { Length: > 0 }, Success: "true" or "false" } item)
            {
                throw Malformed("An Adyen notification item lacks pspReference, eventCode or success.");
            }

            Verify(item);
            events.Add(ToEvent(item));
        }

        return events;
    }

    private void Verify(AdyenNotificationItem item)
    {
        if (item.AdditionalData?.GetValueOrDefault("hmacSignature") is not { ValueKind: JsonValueKind.String } signatureElement)
        {
            throw SignatureInvalid("An Adyen notification item has no additionalData.hmacSignature.");
        }

        Span<byte> received = stackalloc byte[SHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(signatureElement.GetString()!, received, out var length) || length != SHA256.HashSizeInBytes)
        {
            throw SignatureInvalid("An Adyen notification item's hmacSignature is not a base64 HMAC-SHA256.");
        }

        var signed = string.Join(
            ':',
            item.PspReference,
            item.OriginalReference ?? string.Empty,
            item.MerchantAccountCode ?? string.Empty,
            item.MerchantReference ?? string.Empty,
            item.Amount?.Value.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            item.Amount?.Currency ?? string.Empty,
            item.EventCode,
            item.Success);
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        HMACSHA256.HashData(_hmacKey, Encoding.UTF8.GetBytes(signed), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, received))
        {
            throw SignatureInvalid("An Adyen notification item's hmacSignature does not match.");
        }
    }

    private static ProviderWebhookEvent ToEvent(AdyenNotificationItem item)
    {
        var success = item.Success == "true";
        var kind = (item.EventCode, success) switch
        {
            ("AUTHORISATION", true) => WebhookEventKind.Authorized,
            ("AUTHORISATION", false) => WebhookEventKind.AuthorizationDeclined,
            ("CAPTURE", true) => WebhookEventKind.Captured,
            ("CAPTURE", false) or ("CAPTURE_FAILED", _) => WebhookEventKind.CaptureFailed,
            ("CANCELLATION", true) => WebhookEventKind.Voided,
            ("REFUND", true) => WebhookEventKind.Refunded,
            // A refund that failed, or that the bank returned after it had succeeded.
            ("REFUND", false) or ("REFUND_FAILED", _) or ("REFUNDED_REVERSED", _) => WebhookEventKind.RefundFailed,
            _ => WebhookEventKind.Other,
        };

        if (!DateTimeOffset.TryParse(item.EventDate, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var occurredAt))
        {
            throw Malformed("An Adyen notification item has no valid eventDate.");
        }

        Money? amount = item.Amount is { } a && Currency.TryFromCode(a.Currency, out var currency) ? new Money(a.Value, currency) : null;
        var paymentPspReference = string.IsNullOrEmpty(item.OriginalReference) ? item.PspReference : item.OriginalReference;
        return new ProviderWebhookEvent(
            $"{item.PspReference}:{item.EventCode}:{item.Success}",
            kind,
            string.IsNullOrEmpty(item.MerchantReference) ? null : item.MerchantReference,
            paymentPspReference,
            amount,
            occurredAt);
    }

    private static CommerceValidationException SignatureInvalid(string message) =>
        new(PaymentErrorCodes.WebhookSignatureInvalid, message, "hmacSignature");

    private static CommerceValidationException Malformed(string message) =>
        new(PaymentErrorCodes.WebhookMalformed, message);
}
