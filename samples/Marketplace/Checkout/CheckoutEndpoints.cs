using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using Commerce;
using Commerce.Checkout;
using Marketplace.Carts;
using Marketplace.Diagnostics;
using Marketplace.Errors;
using Marketplace.Idempotency;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Checkout;

/// <summary>One line to buy, at the unit price the buyer saw.</summary>
public sealed record CheckoutLineRequest(string? Sku, long? Quantity, long? UnitPriceMinor);

/// <summary>What the buyer buys and how they pay.</summary>
public sealed record CheckoutRequestBody(IReadOnlyList<CheckoutLineRequest>? Lines, string? Currency, string? PaymentToken);

/// <summary>A placed (or, when the PSP has not answered yet, pending) checkout.</summary>
public sealed record CheckoutResponse(string OrderId, string Status, string CheckoutId, long TotalMinor, string Currency);

/// <summary>
/// <c>POST /api/checkout</c>: buys through <see cref="CheckoutService"/> (reserve, place the order, authorize on the
/// PSP, commit, mark paid, capture), honouring the <c>Idempotency-Key</c> header: the key is scoped to the buyer, and a
/// retry with the same key and body returns the first outcome (<c>Idempotent-Replayed: true</c>) without charging again.
/// Answers 201 <c>{"orderId","status"}</c>; 202 while the PSP's answer is unknown (retry with the same key to follow);
/// or a problem: 409 sold out or price changed (with the current availability or prices), 402 declined, 429 busy with
/// <c>Retry-After</c> (flash-sale admission shed the request before it touched any store), 400 invalid.
/// </summary>
public static class CheckoutEndpoints
{
    private const int MaxLines = 50;

    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapCheckoutEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/checkout", CheckoutAsync).WithTags("Checkout").RequireAuthorization(MarketplacePolicies.Buyer)
            .WithSummary("Buys the lines at the prices the buyer saw (Idempotency-Key required).")
            .Produces<CheckoutResponse>(StatusCodes.Status201Created)
            .Produces<CheckoutResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    private static async Task<IResult> CheckoutAsync(
        CheckoutRequestBody body,
        [FromHeader(Name = IdempotencyHeader.Name)] string? idempotencyKey,
        ClaimsPrincipal user,
        CheckoutService checkout,
        ICartStore carts,
        MarketplaceTelemetry telemetry,
        TimeProvider time,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = MarketplaceTelemetry.Source.StartActivity("marketplace.checkout");
        var buyer = user.GetBuyerId();
        var key = ScopedIds.Checkout(buyer, IdempotencyHeader.Parse(idempotencyKey));
        var request = ToRequest(body, buyer, key);
        activity?.SetTag("marketplace.checkout.lines", request.Lines.Count);

        var result = await checkout.CheckoutAsync(request, cancellationToken);
        var outcome = result.Error?.Code ?? "placed";
        activity?.SetTag("marketplace.checkout.outcome", outcome);
        telemetry.Checkout(outcome, Stopwatch.GetElapsedTime(started));
        if (result.IsReplay)
        {
            IdempotencyHeader.MarkReplayed(response);
        }

        if (result.IsSuccess)
        {
            // Bought lines leave the cart; a cart is a convenience, so failing here must not fail the purchase.
            foreach (var line in request.Lines)
            {
                await carts.SetAsync(buyer, line.Sku, 0, CartEndpoints.MaxLines, time.GetUtcNow(), cancellationToken);
            }

            return TypedResults.Created($"/api/orders/{result.OrderId}", View(result, "paid", request.Currency));
        }

        if (result.Status == CheckoutStatus.Pending && result.OrderId is not null)
        {
            return TypedResults.Accepted($"/api/orders/{result.OrderId}", View(result, "pending", request.Currency));
        }

        var error = result.Error ?? new CommerceError(MarketplaceErrorCodes.Internal, "The checkout ended without an outcome.");
        var extensions = new List<KeyValuePair<string, object?>>();
        if (result.CurrentPrices.Count > 0)
        {
            extensions.Add(new("currentPrices", result.CurrentPrices
                .Select(static p => new { sku = p.Sku.Value, expectedUnitPriceMinor = p.ExpectedUnitPrice.MinorUnits, currentUnitPriceMinor = p.CurrentUnitPrice.MinorUnits })
                .ToList()));
        }

        if (result.Availability.Count > 0)
        {
            extensions.Add(new("availability", result.Availability
                .Select(static a => new { sku = a.Sku.Value, requested = a.Requested, available = Math.Max(0, a.Available) })
                .ToList()));
        }

        if (result.OrderId is { } orderId)
        {
            extensions.Add(new("orderId", orderId.Value));
        }

        if (result.RetryAfter is { } retryAfter)
        {
            // Whole seconds, rounded up: Retry-After has no fractions, and "0" would invite an immediate retry.
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return CommerceProblems.Result(error, extensions, ErrorStatus.For(error.Code, isValidation: result.Status == CheckoutStatus.Rejected));
    }

    private static CheckoutRequest ToRequest(CheckoutRequestBody body, BuyerId buyer, IdempotencyKey key)
    {
        if (body.Lines is not { Count: > 0 } lines || lines.Count > MaxLines)
        {
            throw Invalid($"lines must hold 1 to {MaxLines} lines.", "lines");
        }

        if (string.IsNullOrWhiteSpace(body.Currency))
        {
            throw Invalid("currency (an ISO 4217 code such as USD) is required.", "currency");
        }

        if (string.IsNullOrWhiteSpace(body.PaymentToken) || body.PaymentToken.Length > 255)
        {
            throw Invalid("paymentToken is required (the simulated PSP takes tok_visa, and declines tok_decline).", "paymentToken");
        }

        var currency = Currency.FromCode(body.Currency.Trim().ToUpperInvariant());
        var converted = new CheckoutLine[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i] ?? throw Invalid($"Line {i} is null.", "lines");
            if (string.IsNullOrWhiteSpace(line.Sku) || !Sku.TryParse(line.Sku, out var sku))
            {
                throw Invalid($"Line {i} needs a valid sku.", "lines");
            }

            if (line.Quantity is not { } quantity || quantity is < 1 or > 1_000)
            {
                throw Invalid($"Line {i}: quantity must be between 1 and 1000.", "lines");
            }

            if (line.UnitPriceMinor is not { } price || price is < 1 or > Catalog.ProductRules.MaxPriceMinor)
            {
                throw Invalid($"Line {i}: unitPriceMinor must be between 1 and {Catalog.ProductRules.MaxPriceMinor}.", "lines");
            }

            converted[i] = new CheckoutLine(sku, quantity, new Money(price, currency));
        }

        return new CheckoutRequest(key, buyer, converted, currency, body.PaymentToken.Trim());
    }

    private static CheckoutResponse View(CheckoutResult result, string status, Currency currency) =>
        new(result.OrderId!.Value.Value, status, result.CheckoutId?.Value ?? string.Empty, result.Total?.MinorUnits ?? 0, currency.Code);

    private static CommerceValidationException Invalid(string message, string target) =>
        new(MarketplaceErrorCodes.InvalidRequest, message, target);
}
