using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Commerce.Payments.Providers.Adyen;

/// <summary>
/// A <see cref="IPaymentProvider"/> over Adyen's Checkout API: <c>/payments</c> with manual capture, then
/// <c>/payments/{pspReference}/captures</c>, <c>/cancels</c> and <c>/refunds</c>.
/// </summary>
/// <remarks>
/// <para>
/// The payment method token is the <c>paymentMethod</c> object that Adyen's Drop-in or Components produce in the
/// browser (<c>state.data.paymentMethod</c>: encrypted card fields, a wallet token, ...), serialized as JSON; it is
/// sent verbatim.
/// </para>
/// <para>
/// Adyen modifications are asynchronous: a capture, cancel or refund answered <c>"status": "received"</c> is reported
/// as <see cref="ProviderOutcome.Succeeded"/> meaning <em>accepted</em>; the CAPTURE, CANCELLATION or REFUND notification
/// confirms it, or reports the failure (CAPTURE_FAILED, REFUND_FAILED, <c>success=false</c>).
/// </para>
/// <para>
/// The Checkout API has no look-up of a payment, by merchant reference or otherwise: <see cref="GetStatusAsync"/> always
/// answers <see cref="ProviderPaymentState.Unavailable"/>, so an unknown outcome is settled by the AUTHORISATION
/// notification (Adyen sends one for every payment it received) or by retrying the same call with the same
/// idempotency key, which Adyen answers with the first response.
/// </para>
/// </remarks>
public sealed class AdyenPaymentProvider : IPaymentProvider
{
    private readonly HttpClient _httpClient;
    private readonly Uri _baseAddress;
    private readonly string _apiKey;
    private readonly string _merchantAccount;
    private readonly string _returnUrl;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the adapter.</summary>
    /// <param name="httpClient">The client to send requests with; its base address is not used (see <see cref="AdyenOptions.BaseAddress"/>).</param>
    /// <param name="options">The settings; they are validated and copied.</param>
    /// <param name="timeProvider">The clock for timeouts; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentException">A setting is missing or invalid.</exception>
    public AdyenPaymentProvider(HttpClient httpClient, AdyenOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _httpClient = httpClient;
        _baseAddress = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
        _apiKey = options.ApiKey;
        _merchantAccount = options.MerchantAccount;
        _returnUrl = options.ReturnUrl;
        _timeout = options.Timeout;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async ValueTask<ProviderResult> AuthorizeAsync(ProviderAuthorizeRequest request, CancellationToken cancellationToken)
    {
        if (!TryParsePaymentMethod(request.PaymentMethod, out var paymentMethod))
        {
            // Nothing was sent; another provider cannot use an Adyen token either, so this is final.
            return ProviderResult.Decline("invalid_payment_method", "The payment method must be the JSON paymentMethod object from Adyen's Drop-in or Components.");
        }

        var body = new AdyenPaymentRequest
        {
            Amount = AmountOf(request.Amount),
            Reference = request.Reference,
            MerchantAccount = _merchantAccount,
            PaymentMethod = paymentMethod,
            ReturnUrl = _returnUrl,
            AdditionalData = new Dictionary<string, string>(1, StringComparer.Ordinal) { ["manualCapture"] = "true" },
        };
        var call = await SendAsync("payments", JsonSerializer.SerializeToUtf8Bytes(body, AdyenJsonContext.Default.AdyenPaymentRequest), request.IdempotencyKey, cancellationToken)
            .ConfigureAwait(false);
        if (call.Failure is { } failure)
        {
            return failure;
        }

        if (!TryRead(call.Body, AdyenJsonContext.Default.AdyenPaymentResponse, out var payment))
        {
            return UnreadableSuccess(call.StatusCode);
        }

        var psp = payment.PspReference;
        return payment.ResultCode switch
        {
            "Authorised" => ProviderResult.Success(psp),
            "Refused" => ProviderResult.Decline(payment.RefusalReasonCode ?? "refused", payment.RefusalReason, psp),
            // Error and Cancelled are final results of a processed request, without an authorization.
            "Error" => ProviderResult.Decline("error", payment.RefusalReason, psp),
            "Cancelled" => ProviderResult.Decline("cancelled", payment.RefusalReason, psp),
            // Final result to come by the AUTHORISATION notification.
            "Pending" or "Received" => ProviderResult.Unknown(payment.ResultCode.ToLowerInvariant(), "Adyen has not decided yet; the AUTHORISATION notification will.", psp),
            // A server-side authorization has no buyer to redirect or challenge; the session expires unauthorised.
            "RedirectShopper" or "IdentifyShopper" or "ChallengeShopper" or "PresentToShopper" =>
                ProviderResult.Decline("action_required", $"Adyen asked for a buyer action ({payment.ResultCode}).", psp),
            _ => ProviderResult.Unknown("unexpected_result", $"Adyen answered with resultCode '{payment.ResultCode}'.", psp),
        };
    }

    /// <inheritdoc />
    public ValueTask<ProviderResult> CaptureAsync(ProviderCaptureRequest request, CancellationToken cancellationToken)
    {
        // Adyen captures partially without a flag: the uncaptured rest stays authorized until it is cancelled or expires.
        return ModifyAsync(request.PspReference, "captures", request.Reference, request.Amount, request.IdempotencyKey, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ProviderResult> VoidAsync(ProviderVoidRequest request, CancellationToken cancellationToken)
    {
        return ModifyAsync(request.PspReference, "cancels", request.Reference, null, request.IdempotencyKey, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ProviderResult> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken)
    {
        return ModifyAsync(request.PspReference, "refunds", request.Reference, request.Amount, request.IdempotencyKey, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Always <see cref="ProviderPaymentState.Unavailable"/>, without a call: the Checkout API offers no look-up, and
    /// nothing else can confirm that Adyen has no record. Resolution waits for the notification webhook.
    /// </remarks>
    public ValueTask<ProviderStatus> GetStatusAsync(ProviderStatusRequest request, CancellationToken cancellationToken)
    {
        return new(ProviderStatus.Unavailable);
    }

    private async ValueTask<ProviderResult> ModifyAsync(
        string pspReference, string modification, string reference, Money? amount, string idempotencyKey, CancellationToken cancellationToken)
    {
        var body = new AdyenModificationRequest
        {
            MerchantAccount = _merchantAccount,
            // Our attempt's reference, so that the modification's notification carries it as merchantReference.
            Reference = reference,
            Amount = amount is { } value ? AmountOf(value) : null,
        };
        var call = await SendAsync(
            $"payments/{Uri.EscapeDataString(pspReference)}/{modification}",
            JsonSerializer.SerializeToUtf8Bytes(body, AdyenJsonContext.Default.AdyenModificationRequest),
            idempotencyKey,
            cancellationToken).ConfigureAwait(false);
        if (call.Failure is { } failure)
        {
            return failure;
        }

        if (!TryRead(call.Body, AdyenJsonContext.Default.AdyenModificationResponse, out var response))
        {
            return UnreadableSuccess(call.StatusCode);
        }

        return response.Status == "received"
            ? ProviderResult.Success(response.PaymentPspReference ?? pspReference)
            : ProviderResult.Unknown("unexpected_status", $"Adyen answered the {modification} request with status '{response.Status}'.", pspReference);
    }

    private async ValueTask<AdyenCall> SendAsync(string path, byte[] json, string idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseAddress, path));
        request.Headers.TryAddWithoutValidation("X-API-Key", _apiKey);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        request.Content = new ByteArrayContent(json);
        request.Content.Headers.ContentType = new("application/json");

        using var timeout = new CancellationTokenSource(_timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return new AdyenCall(response.IsSuccessStatusCode ? null : FailureOf(response.StatusCode, body), response.StatusCode, body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new AdyenCall(
                ProviderResult.Unknown("timeout", $"Adyen did not answer within {_timeout.TotalSeconds:0.###} seconds; the request may have been processed."), 0, []);
        }
        catch (HttpRequestException exception) when (exception.HttpRequestError
            is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError)
        {
            // Raised while the connection was being set up, before any byte of the request left.
            return new AdyenCall(ProviderResult.NotSent("connection_failed", $"Adyen could not be reached ({exception.HttpRequestError})."), 0, []);
        }
        catch (HttpRequestException exception)
        {
            return new AdyenCall(
                ProviderResult.Unknown("connection_lost", $"The connection to Adyen failed after the request may have been sent ({exception.HttpRequestError})."), 0, []);
        }
    }

    internal static ProviderResult FailureOf(HttpStatusCode statusCode, byte[] body)
    {
        TryRead(body, AdyenJsonContext.Default.AdyenError, out var error);
        var status = (int)statusCode;
        var code = error?.ErrorCode;
        var psp = error?.PspReference;
        if (status is 401 or 403 || error?.ErrorType == "security")
        {
            return ProviderResult.NotSent(code ?? "security", $"Adyen rejected the API key or its permissions (HTTP {status}).");
        }

        if (status == 429)
        {
            return ProviderResult.NotSent(code ?? "rate_limited", error?.Message ?? "Adyen rate-limited the request.");
        }

        if (code == "704")
        {
            // "Request already processed or in progress": the first request with this key may have charged.
            return ProviderResult.Unknown(code, error?.Message, psp);
        }

        if (status >= 500)
        {
            return ProviderResult.Unknown(code ?? "internal", error?.Message ?? $"Adyen answered HTTP {status}.", psp);
        }

        if (error is not null && status is 400 or 404 or 422)
        {
            return ProviderResult.Decline(code ?? error.ErrorType ?? "validation", error.Message, psp);
        }

        return ProviderResult.Unknown("unexpected_response", $"Adyen answered HTTP {status} without a readable error.", psp);
    }

    private static bool TryParsePaymentMethod(string token, out JsonElement paymentMethod)
    {
        paymentMethod = default;
        try
        {
            using var document = JsonDocument.Parse(token);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("type", out var type)
                || type.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            paymentMethod = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static AdyenAmount AmountOf(Money amount) => new() { Currency = amount.Currency.Code, Value = amount.MinorUnits };

    private static bool TryRead<T>(byte[] body, JsonTypeInfo<T> typeInfo, [NotNullWhen(true)] out T? value)
        where T : class
    {
        value = null;
        if (body.Length == 0)
        {
            return false;
        }

        try
        {
            value = JsonSerializer.Deserialize(body, typeInfo);
        }
        catch (JsonException)
        {
            return false;
        }

        return value is not null;
    }

    private static ProviderResult UnreadableSuccess(HttpStatusCode statusCode) =>
        ProviderResult.Unknown("unreadable_response", $"Adyen answered HTTP {(int)statusCode} with a body that could not be read.");

    private readonly record struct AdyenCall(ProviderResult? Failure, HttpStatusCode StatusCode, byte[] Body);
}
