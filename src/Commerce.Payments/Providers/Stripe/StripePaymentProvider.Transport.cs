using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Commerce.Payments.Providers.Stripe;

public sealed partial class StripePaymentProvider
{
    private async ValueTask<StripeCall> SendAsync(
        HttpMethod method, string path, IEnumerable<KeyValuePair<string, string>>? form, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_baseAddress, path));
        request.Headers.Authorization = _authorization;
        if (_apiVersion.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Version", _apiVersion);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        if (form is not null)
        {
            // FormUrlEncodedContent escapes keys and values (brackets, '&', '=', non-ASCII) as application/x-www-form-urlencoded.
            request.Content = new FormUrlEncodedContent(form);
        }

        using var timeout = new CancellationTokenSource(_timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? new StripeCall(null, response.StatusCode, body)
                : new StripeCall(FailureOf(response.StatusCode, body), response.StatusCode, body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new StripeCall(
                ProviderResult.Unknown("timeout", $"Stripe did not answer within {_timeout.TotalSeconds:0.###} seconds; the request may have been processed."), 0, []);
        }
        catch (HttpRequestException exception) when (IsBeforeSending(exception))
        {
            return new StripeCall(ProviderResult.NotSent("connection_failed", $"Stripe could not be reached ({exception.HttpRequestError})."), 0, []);
        }
        catch (HttpRequestException exception)
        {
            return new StripeCall(
                ProviderResult.Unknown("connection_lost", $"The connection to Stripe failed after the request may have been sent ({exception.HttpRequestError})."), 0, []);
        }
    }

    /// <summary>Failures raised while a connection was being set up, before any byte of the request left.</summary>
    internal static bool IsBeforeSending(HttpRequestException exception) => exception.HttpRequestError
        is HttpRequestError.ConnectionError
        or HttpRequestError.NameResolutionError
        or HttpRequestError.SecureConnectionError
        or HttpRequestError.ProxyTunnelError;

    internal static ProviderResult FailureOf(HttpStatusCode statusCode, byte[] body)
    {
        var error = ReadError(body);
        var status = (int)statusCode;
        var pspReference = error?.PaymentIntent?.Id;
        if (status is 401 or 403 || error?.Type == "authentication_error")
        {
            // Stripe's message for a bad key echoes part of it: keep it out of our result.
            return ProviderResult.NotSent("authentication_error", $"Stripe rejected the API key or its permissions (HTTP {status}).");
        }

        if (status == 409 || error?.Type == "idempotency_error")
        {
            // The key is in use by a request in flight, or was used with other parameters: the first may have charged.
            return ProviderResult.Unknown(error?.Code ?? "idempotency_error", error?.Message, pspReference);
        }

        if (status == 429)
        {
            return ProviderResult.NotSent(error?.Code ?? "rate_limit", error?.Message ?? "Stripe rate-limited the request.");
        }

        if (status >= 500)
        {
            return ProviderResult.Unknown(error?.Code ?? "api_error", error?.Message ?? $"Stripe answered HTTP {status}.", pspReference);
        }

        var code = error?.DeclineCode ?? error?.Code ?? error?.Type;
        if (code is not null && (status == 402 || error?.Type is "card_error" or "invalid_request_error"))
        {
            return ProviderResult.Decline(code, error?.Message, pspReference);
        }

        return ProviderResult.Unknown("unexpected_response", $"Stripe answered HTTP {status} without a readable error.", pspReference);
    }

    internal static StripeError? ReadError(byte[] body)
    {
        try
        {
            return body.Length == 0 ? null : JsonSerializer.Deserialize(body, StripeJsonContext.Default.StripeErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryRead<T>(StripeCall call, JsonTypeInfo<T> typeInfo, [NotNullWhen(true)] out T? value)
        where T : class
    {
        value = null;
        if (call.Failure is not null || call.Body.Length == 0)
        {
            return false;
        }

        try
        {
            value = JsonSerializer.Deserialize(call.Body, typeInfo);
        }
        catch (JsonException)
        {
            return false;
        }

        return value is not null;
    }

    private readonly record struct StripeCall(ProviderResult? Failure, HttpStatusCode StatusCode, byte[] Body);
}
