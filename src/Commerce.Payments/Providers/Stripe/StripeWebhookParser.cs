using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Commerce.Payments.Webhooks;

namespace Commerce.Payments.Providers.Stripe;

/// <summary>
/// Verifies Stripe's <c>Stripe-Signature</c> header (HMAC-SHA256 of <c>"{t}.{body}"</c> with the endpoint secret, any
/// of several <c>v1</c> signatures, compared in constant time, <c>t</c> within the tolerance window) and parses the
/// PaymentIntent, charge and refund events the engine acts on.
/// </summary>
public sealed class StripeWebhookParser : IPaymentWebhookParser
{
    /// <summary>The header carrying the timestamp and signatures.</summary>
    public const string SignatureHeader = "Stripe-Signature";

    private readonly byte[] _secret;
    private readonly TimeSpan _tolerance;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the parser from <see cref="StripeOptions.WebhookSecret"/> and <see cref="StripeOptions.WebhookTolerance"/>.</summary>
    /// <exception cref="ArgumentException">A setting is missing or invalid.</exception>
    public StripeWebhookParser(StripeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _secret = Encoding.UTF8.GetBytes(options.WebhookSecret);
        _tolerance = options.WebhookTolerance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public IReadOnlyList<ProviderWebhookEvent> Parse(PaymentWebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        VerifySignature(request);
        return [ParseEvent(request.Body.Span)];
    }

    private void VerifySignature(PaymentWebhookRequest request)
    {
        if (!request.Headers.TryGetValue(SignatureHeader, out var header) || string.IsNullOrEmpty(header))
        {
            throw SignatureInvalid("The Stripe-Signature header is missing.");
        }

        long? timestamp = null;
        var signatures = new List<byte[]>(2);
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = part.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                continue;
            }

            var name = part.AsSpan(0, separator);
            var value = part[(separator + 1)..];
            if (name.SequenceEqual("t") && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (name.SequenceEqual("v1") && value.Length == SHA256.HashSizeInBytes * 2)
            {
                try
                {
                    signatures.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    // Not hex: cannot match, ignore it like any unknown scheme.
                }
            }
        }

        if (timestamp is not { } signedAt || signatures.Count == 0)
        {
            throw SignatureInvalid("The Stripe-Signature header has no timestamp or no v1 signature.");
        }

        var age = _timeProvider.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(signedAt, 0, 253_402_300_799));
        if (age.Duration() > _tolerance)
        {
            throw SignatureInvalid("The Stripe-Signature timestamp is outside the tolerance window.");
        }

        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        using (var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret))
        {
            Span<byte> prefix = stackalloc byte[24];
            var written = Encoding.ASCII.GetBytes(signedAt.ToString(CultureInfo.InvariantCulture) + ".", prefix);
            hmac.AppendData(prefix[..written]);
            hmac.AppendData(request.Body.Span);
            hmac.GetHashAndReset(expected);
        }

        var matched = false;
        foreach (var signature in signatures)
        {
            // Check every candidate, so the time taken does not depend on which one matched.
            matched |= CryptographicOperations.FixedTimeEquals(expected, signature);
        }

        if (!matched)
        {
            throw SignatureInvalid("No Stripe-Signature v1 signature matches the body.");
        }
    }

    private static ProviderWebhookEvent ParseEvent(ReadOnlySpan<byte> body)
    {
        StripeEvent? stripeEvent;
        try
        {
            stripeEvent = JsonSerializer.Deserialize(body, StripeJsonContext.Default.StripeEvent);
        }
        catch (JsonException)
        {
            throw Malformed("The Stripe event is not valid JSON.");
        }

        if (stripeEvent is not { Id: { Length: > 0 } id, Type: { Length: > 0 } type, Data.Object.ValueKind: JsonValueKind.Object })
        {
            throw Malformed("The Stripe event has no id, type or data.object.");
        }

        var occurredAt = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(stripeEvent.Created, 0, 253_402_300_799));
        var data = stripeEvent.Data.Object;
        try
        {
            switch (type)
            {
                case "payment_intent.amount_capturable_updated":
                case "payment_intent.payment_failed":
                case "payment_intent.succeeded":
                case "payment_intent.canceled":
                    {
                        var intent = data.Deserialize(StripeJsonContext.Default.StripePaymentIntent)!;
                        var (kind, minor) = type switch
                        {
                            "payment_intent.amount_capturable_updated" => (WebhookEventKind.Authorized, intent.AmountCapturable),
                            "payment_intent.payment_failed" => (WebhookEventKind.AuthorizationDeclined, intent.Amount),
                            "payment_intent.succeeded" => (WebhookEventKind.Captured, intent.AmountReceived),
                            _ => (WebhookEventKind.Voided, intent.Amount),
                        };
                        return new ProviderWebhookEvent(id, kind, intent.Metadata?.GetValueOrDefault("reference"), intent.Id, AmountOf(minor, intent.Currency), occurredAt);
                    }

                case "charge.captured":
                case "charge.refunded":
                    {
                        var charge = data.Deserialize(StripeJsonContext.Default.StripeCharge)!;
                        var (kind, minor) = type == "charge.captured"
                            ? (WebhookEventKind.Captured, charge.AmountCaptured)
                            : (WebhookEventKind.Refunded, charge.AmountRefunded);
                        return new ProviderWebhookEvent(id, kind, charge.Metadata?.GetValueOrDefault("reference"), charge.PaymentIntent, AmountOf(minor, charge.Currency), occurredAt);
                    }

                case "refund.updated":
                case "charge.refund.updated":
                    {
                        var refund = data.Deserialize(StripeJsonContext.Default.StripeRefund)!;
                        var kind = refund.Status switch
                        {
                            "succeeded" => WebhookEventKind.Refunded,
                            "failed" or "canceled" => WebhookEventKind.RefundFailed,
                            _ => WebhookEventKind.Other,
                        };
                        return new ProviderWebhookEvent(id, kind, refund.Metadata?.GetValueOrDefault("reference"), refund.PaymentIntent, AmountOf(refund.Amount, refund.Currency), occurredAt);
                    }

                default:
                    return new ProviderWebhookEvent(id, WebhookEventKind.Other, null, null, null, occurredAt);
            }
        }
        catch (JsonException)
        {
            throw Malformed($"The data.object of the Stripe event '{type}' has an unexpected shape.");
        }
    }

    private static Money? AmountOf(long minorUnits, string? currencyCode) =>
        Currency.TryFromCode(currencyCode, out var currency) ? new Money(minorUnits, currency) : null;

    private static CommerceValidationException SignatureInvalid(string message) =>
        new(PaymentErrorCodes.WebhookSignatureInvalid, message, SignatureHeader);

    private static CommerceValidationException Malformed(string message) =>
        new(PaymentErrorCodes.WebhookMalformed, message);
}
