using Commerce.Payments;
using Commerce.Payments.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Payments;

/// <summary>What a webhook delivery changed.</summary>
public sealed record WebhookResponse(int Applied, int Duplicates, int Ignored);

/// <summary>
/// <c>POST /api/webhooks/{provider}</c>: the PSP's notifications, verified and applied by
/// <see cref="PaymentService.HandleWebhookAsync"/>. The sample's simulated PSP signs in the Stripe format
/// (<c>Stripe-Signature: t=&lt;unix time&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</c> with
/// <c>Marketplace:WebhookSecret</c>); a missing or wrong signature is 400 <c>payments.webhook_signature_invalid</c> and
/// changes nothing. The body is read raw (the signature covers its exact bytes), up to the payments limit.
/// </summary>
public static class WebhookEndpoints
{
    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/webhooks/{provider}", HandleAsync).WithTags("Payments").AllowAnonymous()
            .WithSummary("PSP webhooks (Stripe-format signature); verified, deduplicated and applied to payments.");
        return app;
    }

    private static async Task<Ok<WebhookResponse>> HandleAsync(string provider, HttpRequest request, PaymentService payments, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values.ToString();
        }

        var result = await payments.HandleWebhookAsync(provider, new PaymentWebhookRequest(buffer.ToArray(), headers), cancellationToken);
        return TypedResults.Ok(new WebhookResponse(result.Applied, result.Duplicates, result.Ignored));
    }
}
