using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Commerce.Payments.Providers.Stripe;

/// <summary>
/// A <see cref="IPaymentProvider"/> over Stripe's PaymentIntents API: a manual-capture PaymentIntent confirmed at once,
/// captures with <c>amount_to_capture</c>, cancels, refunds, and status by id or by our reference in the metadata.
/// </summary>
/// <remarks>
/// Every POST carries the caller's <c>Idempotency-Key</c>. Failures are classified so that only what Stripe surely did
/// not process is <see cref="ProviderOutcome.NotProcessed"/>: connection failures before the request was sent, rate
/// limits (429) and rejected credentials (401, 403). Server errors (5xx), idempotency conflicts and timeouts are
/// <see cref="ProviderOutcome.Unknown"/>; card errors (402) and invalid requests (400, 404) are
/// <see cref="ProviderOutcome.Declined"/>. The API key is never logged nor put in a message.
/// </remarks>
public sealed partial class StripePaymentProvider : IPaymentProvider
{
    private const int ListPageSize = 100;

    private readonly HttpClient _httpClient;
    private readonly Uri _baseAddress;
    private readonly string _apiVersion;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _searchIndexLag;
    private readonly int _maxRecentListPages;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the adapter.</summary>
    /// <param name="httpClient">The client to send requests with; its base address is not used (see <see cref="StripeOptions.BaseAddress"/>).</param>
    /// <param name="options">The settings; they are validated and copied.</param>
    /// <param name="timeProvider">The clock for timeouts and the recent-list window; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentException">A setting is missing or invalid.</exception>
    public StripePaymentProvider(HttpClient httpClient, StripeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _httpClient = httpClient;
        _baseAddress = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
        _apiVersion = options.ApiVersion;
        _timeout = options.Timeout;
        _searchIndexLag = options.SearchIndexLag;
        _maxRecentListPages = options.MaxRecentListPages;
        _authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async ValueTask<ProviderResult> AuthorizeAsync(ProviderAuthorizeRequest request, CancellationToken cancellationToken)
    {
        KeyValuePair<string, string>[] form =
        [
            new("amount", request.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture)),
            new("currency", request.Amount.Currency.Code.ToLowerInvariant()),
            new("payment_method", request.PaymentMethod),
            new("confirm", "true"),
            new("capture_method", "manual"),
            // Server-side confirmation has no buyer to redirect or challenge: fail instead of waiting in requires_action.
            new("error_on_requires_action", "true"),
            new("automatic_payment_methods[enabled]", "true"),
            new("automatic_payment_methods[allow_redirects]", "never"),
            new("metadata[reference]", request.Reference),
        ];
        var call = await SendAsync(HttpMethod.Post, "v1/payment_intents", form, request.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        if (call.Failure is { } failure)
        {
            return failure;
        }

        if (!TryRead(call, StripeJsonContext.Default.StripePaymentIntent, out var intent))
        {
            return UnreadableSuccess(call.StatusCode);
        }

        return intent.Status switch
        {
            "requires_capture" or "succeeded" => ProviderResult.Success(intent.Id),
            "processing" => ProviderResult.Unknown("processing", "Stripe is still processing the authorization.", intent.Id),
            "requires_payment_method" => ProviderResult.Decline(
                intent.LastPaymentError?.DeclineCode ?? intent.LastPaymentError?.Code ?? "requires_payment_method",
                intent.LastPaymentError?.Message,
                intent.Id),
            "requires_action" => ProviderResult.Decline("authentication_required", "The payment method requires the buyer's authentication.", intent.Id),
            "canceled" => ProviderResult.Decline("canceled", "The PaymentIntent was canceled.", intent.Id),
            _ => ProviderResult.Unknown("unexpected_status", $"Stripe answered with PaymentIntent status '{intent.Status}'.", intent.Id),
        };
    }

    /// <inheritdoc />
    public async ValueTask<ProviderResult> CaptureAsync(ProviderCaptureRequest request, CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>>(2)
        {
            new("amount_to_capture", request.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture)),
        };
        if (!request.IsFinal)
        {
            // Multicapture: keep the rest of the authorization open for later captures.
            form.Add(new("final_capture", "false"));
        }

        var call = await SendAsync(HttpMethod.Post, $"v1/payment_intents/{Uri.EscapeDataString(request.PspReference)}/capture", form, request.IdempotencyKey, cancellationToken)
            .ConfigureAwait(false);
        if (call.Failure is { } failure)
        {
            return failure;
        }

        if (!TryRead(call, StripeJsonContext.Default.StripePaymentIntent, out var intent))
        {
            return UnreadableSuccess(call.StatusCode);
        }

        return intent.Status switch
        {
            "succeeded" or "requires_capture" => ProviderResult.Success(intent.Id),
            _ => ProviderResult.Unknown("unexpected_status", $"Stripe answered the capture with PaymentIntent status '{intent.Status}'.", intent.Id),
        };
    }

    /// <inheritdoc />
    public async ValueTask<ProviderResult> VoidAsync(ProviderVoidRequest request, CancellationToken cancellationToken)
    {
        var call = await SendAsync(HttpMethod.Post, $"v1/payment_intents/{Uri.EscapeDataString(request.PspReference)}/cancel", [], request.IdempotencyKey, cancellationToken)
            .ConfigureAwait(false);
        if (call.Failure is { } failure)
        {
            return failure;
        }

        if (!TryRead(call, StripeJsonContext.Default.StripePaymentIntent, out var intent))
        {
            return UnreadableSuccess(call.StatusCode);
        }

        return intent.Status == "canceled"
            ? ProviderResult.Success(intent.Id)
            : ProviderResult.Unknown("unexpected_status", $"Stripe answered the cancel with PaymentIntent status '{intent.Status}'.", intent.Id);
    }

    /// <inheritdoc />
    public async ValueTask<ProviderResult> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken)
    {
        KeyValuePair<string, string>[] form =
        [
            new("payment_intent", request.PspReference),
            new("amount", request.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture)),
            // Refund webhooks then carry our reference too.
            new("metadata[reference]", request.Reference),
        ];
        var call = await SendAsync(HttpMethod.Post, "v1/refunds", form, request.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        if (call.Failure is { } failure)
        {
            return failure;
        }

        if (!TryRead(call, StripeJsonContext.Default.StripeRefund, out var refund))
        {
            return UnreadableSuccess(call.StatusCode);
        }

        return refund.Status switch
        {
            // A pending refund is accepted; refund.updated reports whether it later failed.
            "succeeded" or "pending" or "requires_action" => ProviderResult.Success(refund.PaymentIntent ?? request.PspReference),
            "failed" or "canceled" => ProviderResult.Decline(refund.FailureReason ?? "refund_" + refund.Status, "Stripe refused the refund.", refund.PaymentIntent ?? request.PspReference),
            _ => ProviderResult.Unknown("unexpected_status", $"Stripe answered with refund status '{refund.Status}'.", request.PspReference),
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// With a PSP reference, retrieves the PaymentIntent (404 <c>resource_missing</c> is NotFound). Without one, searches
    /// by <c>metadata['reference']</c>; as the search index lags writes, an empty search is confirmed by listing the
    /// PaymentIntents created within <see cref="StripeOptions.SearchIndexLag"/>, and only then is the result NotFound.
    /// </remarks>
    public async ValueTask<ProviderStatus> GetStatusAsync(ProviderStatusRequest request, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(request.PspReference))
        {
            var call = await SendAsync(HttpMethod.Get, $"v1/payment_intents/{Uri.EscapeDataString(request.PspReference)}?expand%5B%5D=latest_charge", null, null, cancellationToken)
                .ConfigureAwait(false);
            if (call.Failure is null && TryRead(call, StripeJsonContext.Default.StripePaymentIntent, out var intent))
            {
                return StatusOf(intent);
            }

            return call.StatusCode == HttpStatusCode.NotFound && ReadError(call.Body)?.Code == "resource_missing"
                ? ProviderStatus.NotFound
                : ProviderStatus.Unavailable;
        }

        var query = $"metadata['reference']:'{request.Reference.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}'";
        var search = await SendAsync(
            HttpMethod.Get, $"v1/payment_intents/search?query={Uri.EscapeDataString(query)}&limit={ListPageSize}&expand%5B%5D=data.latest_charge", null, null, cancellationToken)
            .ConfigureAwait(false);
        if (search.Failure is not null || !TryRead(search, StripeJsonContext.Default.StripeList, out var found))
        {
            return ProviderStatus.Unavailable;
        }

        if (found.Data.Count > 0)
        {
            return MostAdvanced(found.Data);
        }

        return await ListRecentAsync(request.Reference, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<ProviderStatus> ListRecentAsync(string reference, CancellationToken cancellationToken)
    {
        var since = (_timeProvider.GetUtcNow() - _searchIndexLag).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string? startingAfter = null;
        for (var page = 0; page < _maxRecentListPages; page++)
        {
            var path = $"v1/payment_intents?limit={ListPageSize}&created%5Bgte%5D={since}&expand%5B%5D=data.latest_charge";
            if (startingAfter is not null)
            {
                path += "&starting_after=" + Uri.EscapeDataString(startingAfter);
            }

            var call = await SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false);
            if (call.Failure is not null || !TryRead(call, StripeJsonContext.Default.StripeList, out var list))
            {
                return ProviderStatus.Unavailable;
            }

            var matches = list.Data.Where(i => i.Metadata?.GetValueOrDefault("reference") == reference).ToList();
            if (matches.Count > 0)
            {
                return MostAdvanced(matches);
            }

            if (!list.HasMore || list.Data.Count == 0)
            {
                // Search and the strongly consistent list of the lag window both say no: Stripe has no such payment.
                return ProviderStatus.NotFound;
            }

            startingAfter = list.Data[^1].Id;
        }

        // Too many recent PaymentIntents to be sure within the page budget: claim nothing.
        return ProviderStatus.Unavailable;
    }

    private static ProviderStatus MostAdvanced(List<StripePaymentIntent> intents) =>
        intents.Select(StatusOf).MaxBy(static s => s.State switch
        {
            ProviderPaymentState.Authorized => 4,
            ProviderPaymentState.Pending => 3,
            ProviderPaymentState.Voided => 2,
            _ => 1,
        });

    private static ProviderStatus StatusOf(StripePaymentIntent intent)
    {
        var refunded = intent.LatestCharge?.AmountRefunded ?? 0;
        var state = intent.Status switch
        {
            "requires_capture" or "succeeded" => ProviderPaymentState.Authorized,
            "canceled" => ProviderPaymentState.Voided,
            "requires_payment_method" => ProviderPaymentState.Declined,
            _ => ProviderPaymentState.Pending,
        };
        return new ProviderStatus(state, intent.Id, intent.Amount, intent.AmountReceived, refunded);
    }

    private static ProviderResult UnreadableSuccess(HttpStatusCode statusCode) =>
        ProviderResult.Unknown("unreadable_response", $"Stripe answered HTTP {(int)statusCode} with a body that could not be read.");
}
