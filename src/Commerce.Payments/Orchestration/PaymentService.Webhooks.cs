using Commerce.Payments.Events;
using Commerce.Payments.Providers;
using Commerce.Payments.Storage;
using Commerce.Payments.Webhooks;

namespace Commerce.Payments;

public sealed partial class PaymentService
{
    /// <summary>
    /// Verifies a provider's webhook request and applies its events. Each event is deduplicated by (provider, event
    /// id) in the same write that applies it, and settles only the payment's in-flight attempt of the matching
    /// operation: a duplicate, late or out-of-order event changes nothing, and a settled (let alone terminal) state is
    /// never overwritten.
    /// </summary>
    /// <exception cref="CommerceValidationException">
    /// An unknown provider, a body over the size limit, a missing or wrong signature, or a malformed body: nothing is stored.
    /// </exception>
    public async ValueTask<WebhookResult> HandleWebhookAsync(string provider, PaymentWebhookRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Body.Length > _options.MaxWebhookBytes)
        {
            throw new CommerceValidationException(
                PaymentErrorCodes.WebhookTooLarge, $"The webhook body is {request.Body.Length} bytes; the limit is {_options.MaxWebhookBytes}.", "body");
        }

        ArgumentNullException.ThrowIfNull(provider);
        var parser = _providers.FindParser(provider)
            ?? throw new CommerceValidationException(PaymentErrorCodes.UnknownProvider, $"No webhook parser is configured for provider '{provider}'.", "provider");
        var events = parser.Parse(request);
        int applied = 0, duplicates = 0, ignored = 0;
        foreach (var webhookEvent in events)
        {
            var result = await ApplyWebhookEventAsync(provider, webhookEvent, cancellationToken).ConfigureAwait(false);
            _metrics?.Webhook(provider, result);
            switch (result)
            {
                case "applied":
                    applied++;
                    break;
                case "duplicate":
                    duplicates++;
                    break;
                default:
                    ignored++;
                    break;
            }
        }

        return new WebhookResult(applied, duplicates, ignored);
    }

    private async ValueTask<string> ApplyWebhookEventAsync(string provider, ProviderWebhookEvent webhookEvent, CancellationToken cancellationToken)
    {
        if (await _store.IsWebhookRecordedAsync(provider, webhookEvent.EventId, cancellationToken).ConfigureAwait(false))
        {
            return "duplicate";
        }

        PaymentId? paymentId = PaymentReference.TryParse(webhookEvent.Reference, out var referenced, out _) ? referenced : null;
        if (paymentId is null && webhookEvent.PspReference is { Length: > 0 } pspReference)
        {
            paymentId = await _store.FindByPspReferenceAsync(provider, pspReference, cancellationToken).ConfigureAwait(false);
        }

        var now = Now();
        while (true)
        {
            var payment = paymentId is { } id ? await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) : null;
            var receipt = new WebhookReceipt(provider, webhookEvent.EventId, webhookEvent.Kind.ToString(), payment?.Id, now);
            var attempt = payment is null ? null : MatchInFlight(payment, provider, webhookEvent);
            if (payment is null || attempt is null || Interpret(webhookEvent.Kind) is not { } result)
            {
                return await _store.RecordWebhookAsync(receipt, cancellationToken).ConfigureAwait(false) ? "ignored" : "duplicate";
            }

            var settled = PaymentChanges.Apply(payment, attempt.Number, result with { PspReference = webhookEvent.PspReference ?? attempt.PspReference }, now, out var journal);
            var settledAttempt = settled.Attempts[attempt.Number - 1];
            var write = new PaymentWrite
            {
                Payment = settled,
                ExpectedVersion = payment.Version,
                Journal = journal,
                Events = _recordEvents ? [PaymentEventFactory.Create(settled, settledAttempt, now)] : [],
                Webhook = receipt,
            };
            switch (await _store.WriteAsync(write, cancellationToken).ConfigureAwait(false))
            {
                case PaymentWriteStatus.Written:
                    _metrics?.AttemptSettled(settledAttempt);
                    return "applied";
                case PaymentWriteStatus.DuplicateWebhook:
                    return "duplicate";
            }

            // The payment changed meanwhile (the API call itself, or another event): look again.
        }
    }

    /// <summary>The in-flight attempt an event is about: same provider, same operation, and the referenced attempt if the event names one.</summary>
    private static PaymentAttempt? MatchInFlight(Payment payment, string provider, ProviderWebhookEvent webhookEvent)
    {
        if (payment.InFlight is not { } attempt || attempt.Provider != provider)
        {
            return null;
        }

        var operation = webhookEvent.Kind switch
        {
            WebhookEventKind.Authorized or WebhookEventKind.AuthorizationDeclined => PaymentOperation.Authorize,
            WebhookEventKind.Captured or WebhookEventKind.CaptureFailed => PaymentOperation.Capture,
            WebhookEventKind.Voided => PaymentOperation.Void,
            WebhookEventKind.Refunded or WebhookEventKind.RefundFailed => PaymentOperation.Refund,
            _ => (PaymentOperation?)null,
        };
        if (operation != attempt.Operation)
        {
            return null;
        }

        if (operation == PaymentOperation.Authorize && PaymentReference.TryParse(webhookEvent.Reference, out _, out var number) && number != attempt.Number)
        {
            return null;
        }

        return attempt;
    }

    private static ProviderResult? Interpret(WebhookEventKind kind) => kind switch
    {
        WebhookEventKind.Authorized or WebhookEventKind.Captured or WebhookEventKind.Voided or WebhookEventKind.Refunded => ProviderResult.Success(null),
        WebhookEventKind.AuthorizationDeclined => ProviderResult.Decline("webhook_declined", "The provider reported the authorization declined."),
        WebhookEventKind.CaptureFailed or WebhookEventKind.RefundFailed => ProviderResult.Decline("webhook_failed", "The provider reported the operation failed."),
        _ => null,
    };
}
