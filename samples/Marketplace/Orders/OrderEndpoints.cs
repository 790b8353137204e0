using System.Security.Claims;
using Commerce;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;
using Marketplace.Errors;
using Marketplace.Idempotency;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Orders;

/// <summary>Ships a seller's part of an order.</summary>
public sealed record ShipRequest(string? TrackingNumber);

/// <summary>Refunds part or all of an order.</summary>
public sealed record RefundRequest(long? AmountMinor);

/// <summary>
/// Orders over <see cref="OrderService"/>. Who may do what:
/// <list type="bullet">
/// <item>Reading: the buyer who placed it, a seller with a fulfilment in it (their part only), an admin.</item>
/// <item>Cancelling: the buyer or an admin. Shipping and delivering a fulfilment: its seller or an admin. Refunding: an admin.</item>
/// <item>Anyone who may not read an order gets 404 <c>marketplace.order_not_found</c>, exactly as for an order that
/// does not exist, so ids cannot be probed; someone who may read it but not do this gets 403.</item>
/// </list>
/// Every change has a fixed command id per order (or one derived from the <c>Idempotency-Key</c>), so a retry replays
/// the first outcome instead of acting twice.
/// </summary>
public static class OrderEndpoints
{
    private const int MaxTrackingLength = 64;

    /// <summary>Maps <c>/api/orders</c> and <c>/api/seller/orders</c>.</summary>
    public static IEndpointRouteBuilder MapOrderEndpoints(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/orders").WithTags("Orders");
        orders.MapGet("/", ListOwnAsync).RequireAuthorization(MarketplacePolicies.Buyer).WithSummary("The buyer's orders, newest first.");
        orders.MapGet("/{orderId}", GetAsync).RequireAuthorization(MarketplacePolicies.AnyUser).WithSummary("An order: its buyer, its sellers (their part) or an admin.");
        orders.MapPost("/{orderId}/cancel", CancelAsync).RequireAuthorization(MarketplacePolicies.AnyUser)
            .WithSummary("Cancels an order not yet shipped (buyer or admin); a payment is voided or refunded and the stock returned.");
        orders.MapPost("/{orderId}/fulfilments/{sellerId}/ship", ShipAsync).RequireAuthorization(MarketplacePolicies.AnyUser)
            .WithSummary("Ships the seller's part with a tracking number (that seller or an admin).");
        orders.MapPost("/{orderId}/fulfilments/{sellerId}/deliver", DeliverAsync).RequireAuthorization(MarketplacePolicies.AnyUser)
            .WithSummary("Marks the seller's part delivered (that seller or an admin).");
        orders.MapPost("/{orderId}/refund", RefundAsync).RequireAuthorization(MarketplacePolicies.AnyUser)
            .WithSummary("Refunds part or all of a paid order (admin; Idempotency-Key required).");

        app.MapGet("/api/seller/orders", ListSellerAsync).WithTags("Orders").RequireAuthorization(MarketplacePolicies.Seller)
            .WithSummary("The orders the seller has a fulfilment in, newest first, optionally in one state (e.g. paid: to ship).");
        return app;
    }

    private static async Task<Ok<OrderListView>> ListOwnAsync(
        ClaimsPrincipal user, OrderService orders, PaymentService payments, int? pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        var page = await orders.ListByBuyerAsync(user.GetBuyerId(), pageSize, pageToken, cancellationToken);
        var items = new List<OrderView>(page.Orders.Count);
        foreach (var order in page.Orders)
        {
            items.Add(OrderViews.From(order, await PaymentAsync(payments, order, cancellationToken)));
        }

        return TypedResults.Ok(new OrderListView(items, page.NextPageToken));
    }

    private static async Task<Ok<OrderListView>> ListSellerAsync(
        ClaimsPrincipal user, OrderService orders, PaymentService payments, string? state, int? pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        var seller = user.GetSellerId();
        OrderState? filter = null;
        if (!string.IsNullOrEmpty(state))
        {
            filter = Enum.GetValues<OrderState>().Where(s => OrderViews.Name(s) == state).Select(static s => (OrderState?)s).FirstOrDefault()
                ?? throw new CommerceValidationException(MarketplaceErrorCodes.InvalidRequest,
                    $"state must be one of: {string.Join(", ", Enum.GetValues<OrderState>().Select(OrderViews.Name))}.", "state");
        }

        var page = await orders.ListBySellerAsync(seller, filter, pageSize, pageToken, cancellationToken);
        var items = new List<OrderView>(page.Orders.Count);
        foreach (var order in page.Orders)
        {
            items.Add(OrderViews.From(order, await PaymentAsync(payments, order, cancellationToken), seller));
        }

        return TypedResults.Ok(new OrderListView(items, page.NextPageToken));
    }

    private static async Task<Ok<OrderView>> GetAsync(
        string orderId, ClaimsPrincipal user, OrderService orders, PaymentService payments, CancellationToken cancellationToken)
    {
        var (order, access) = await ReadableAsync(orderId, user, orders, cancellationToken);
        return TypedResults.Ok(OrderViews.From(order, await PaymentAsync(payments, order, cancellationToken), access.OnlySeller));
    }

    private static async Task<Results<Ok<OrderView>, ProblemHttpResult>> CancelAsync(
        string orderId, ClaimsPrincipal user, OrderService orders, PaymentService payments, InventoryService inventory, CancellationToken cancellationToken)
    {
        var (order, access) = await ReadableAsync(orderId, user, orders, cancellationToken);
        if (!access.IsBuyer && !access.IsAdmin)
        {
            throw Forbidden("Only the buyer or an admin may cancel an order.");
        }

        var result = await orders.ExecuteAsync(new CancelOrder(order.Id, new CommandId("cancel"), user.GetUserId()) { Reason = "cancelled through the API" }, cancellationToken);
        if (!result.IsSuccess)
        {
            return Problem(result);
        }

        // Each step below is idempotent by a key derived from the order, so a retried cancel (after a crash or a
        // lost response) finishes what the first one started and repeats nothing.
        var cancelled = result.Order!;
        if (cancelled.PaymentId is { } paymentId && await payments.GetAsync(paymentId, cancellationToken) is { } payment)
        {
            var outstanding = payment.CapturedMinor - payment.RefundedMinor;
            if (outstanding > 0)
            {
                await payments.RefundAsync(new RefundPaymentRequest(paymentId, new IdempotencyKey($"cancel-refund-{order.Id}"),
                    Money.FromMinorUnits(outstanding, payment.Amount.Currency.Code)), cancellationToken);
            }
            else if (payment.Status == PaymentStatus.Authorized)
            {
                await payments.VoidAsync(new VoidPaymentRequest(paymentId, new IdempotencyKey($"cancel-void-{order.Id}")), cancellationToken);
            }
        }

        // A paid order's stock was sold (committed); cancelling puts it back on hand. Ordering marks a cancelled paid
        // order with a refund request, which also tells a replayed cancel what the first one found. Before payment
        // the checkout still held a reservation, which it releases itself.
        if (cancelled.RefundRequested is not null)
        {
            foreach (var line in cancelled.Lines)
            {
                await inventory.AdjustStockAsync(
                    new StockAdjustment(line.Sku, line.Quantity, $"order {order.Id} cancelled", new IdempotencyKey($"cancel-{order.Id}-{line.Sku}")), cancellationToken);
            }
        }

        return TypedResults.Ok(OrderViews.From(cancelled, await PaymentAsync(payments, cancelled, cancellationToken)));
    }

    private static async Task<Results<Ok<OrderView>, ProblemHttpResult>> ShipAsync(
        string orderId, string sellerId, ShipRequest request, ClaimsPrincipal user, OrderService orders, PaymentService payments, CancellationToken cancellationToken)
    {
        var tracking = request.TrackingNumber?.Trim();
        if (string.IsNullOrEmpty(tracking) || tracking.Length > MaxTrackingLength)
        {
            throw new CommerceValidationException(MarketplaceErrorCodes.InvalidRequest, $"trackingNumber must be 1 to {MaxTrackingLength} characters.", "trackingNumber");
        }

        var (order, seller) = await FulfilmentAsync(orderId, sellerId, user, orders, cancellationToken);
        var result = await orders.ExecuteAsync(new ShipFulfilment(order.Id, new CommandId($"ship-{seller}"), user.GetUserId(), seller, tracking), cancellationToken);
        return result.IsSuccess ? TypedResults.Ok(OrderViews.From(result.Order!, await PaymentAsync(payments, result.Order!, cancellationToken), SellerView(user))) : Problem(result);
    }

    private static async Task<Results<Ok<OrderView>, ProblemHttpResult>> DeliverAsync(
        string orderId, string sellerId, ClaimsPrincipal user, OrderService orders, PaymentService payments, CancellationToken cancellationToken)
    {
        var (order, seller) = await FulfilmentAsync(orderId, sellerId, user, orders, cancellationToken);
        var result = await orders.ExecuteAsync(new DeliverFulfilment(order.Id, new CommandId($"deliver-{seller}"), user.GetUserId(), seller), cancellationToken);
        return result.IsSuccess ? TypedResults.Ok(OrderViews.From(result.Order!, await PaymentAsync(payments, result.Order!, cancellationToken), SellerView(user))) : Problem(result);
    }

    private static async Task<Results<Ok<OrderView>, ProblemHttpResult>> RefundAsync(
        string orderId, RefundRequest request, [FromHeader(Name = IdempotencyHeader.Name)] string? idempotencyKey,
        ClaimsPrincipal user, OrderService orders, PaymentService payments, HttpResponse response, CancellationToken cancellationToken)
    {
        var (order, access) = await ReadableAsync(orderId, user, orders, cancellationToken);
        if (!access.IsAdmin)
        {
            throw Forbidden("Only an admin may refund an order.");
        }

        var key = IdempotencyHeader.Parse(idempotencyKey);
        if (request.AmountMinor is not { } amountMinor || amountMinor <= 0 || amountMinor > order.Total.MinorUnits)
        {
            throw new CommerceValidationException(MarketplaceErrorCodes.InvalidRequest, $"amountMinor must be between 1 and the order total ({order.Total.MinorUnits}).", "amountMinor");
        }

        if (order.PaymentId is not { } paymentId)
        {
            throw new CommerceException(new CommerceError(PaymentErrorCodes.UnknownPayment, "The order has no payment to refund.", "orderId"));
        }

        var amount = Money.FromMinorUnits(amountMinor, order.Currency.Code);

        // Money first, then the record: a crash between them leaves a refund the retry (same key) replays and records.
        var refund = await payments.RefundAsync(new RefundPaymentRequest(paymentId, new IdempotencyKey($"refund-{order.Id}-{key}"), amount), cancellationToken);
        if (!refund.Succeeded)
        {
            return CommerceProblems.Result(new CommerceError("payments.refund_failed", refund.FailureMessage ?? "The provider did not refund the payment."),
                [new("outcome", refund.Outcome.ToString().ToLowerInvariant())], StatusCodes.Status502BadGateway);
        }

        var result = await orders.ExecuteAsync(new RefundOrder(order.Id, new CommandId($"refund-{key}"), user.GetUserId(), amount), cancellationToken);
        if (result.IsReplay || refund.IsReplay)
        {
            IdempotencyHeader.MarkReplayed(response);
        }

        return result.IsSuccess ? TypedResults.Ok(OrderViews.From(result.Order!, await PaymentAsync(payments, result.Order!, cancellationToken))) : Problem(result);
    }

    /// <summary>The order, if the caller may read it; otherwise the same 404 as for an order that does not exist.</summary>
    private static async Task<(Order Order, Access Access)> ReadableAsync(string orderId, ClaimsPrincipal user, OrderService orders, CancellationToken cancellationToken)
    {
        if (!OrderId.TryParse(orderId, out var id) || await orders.GetAsync(id, cancellationToken) is not { } order)
        {
            throw NotFound();
        }

        var access = new Access(
            IsAdmin: user.IsAdmin(),
            IsBuyer: user.AsBuyer() is { } buyer && buyer == order.Buyer,
            Seller: user.AsSeller() is { } seller && order.FindFulfilment(seller) is not null ? seller : null);
        return access.IsAdmin || access.IsBuyer || access.Seller is not null ? (order, access) : throw NotFound();
    }

    private static async Task<(Order Order, SellerId Seller)> FulfilmentAsync(
        string orderId, string sellerId, ClaimsPrincipal user, OrderService orders, CancellationToken cancellationToken)
    {
        var (order, access) = await ReadableAsync(orderId, user, orders, cancellationToken);
        var target = SellerId.TryParse(sellerId, out var parsed) && order.FindFulfilment(parsed) is not null ? parsed : (SellerId?)null;
        if (access.IsAdmin)
        {
            return target is { } s ? (order, s) : throw UnknownFulfilment(sellerId);
        }

        // A seller may act on their own fulfilment only; the buyer never may.
        if (access.Seller is not { } own || target != own)
        {
            throw Forbidden("Only the fulfilment's seller or an admin may ship or deliver it.");
        }

        return (order, own);
    }

    private static SellerId? SellerView(ClaimsPrincipal user) => user.IsAdmin() ? null : user.AsSeller();

    private static async ValueTask<Payment?> PaymentAsync(PaymentService payments, Order order, CancellationToken cancellationToken) =>
        order.PaymentId is { } id ? await payments.GetAsync(id, cancellationToken) : null;

    private static ProblemHttpResult Problem(OrderResult result)
    {
        var extensions = new List<KeyValuePair<string, object?>>();
        if (result.Order is { } order)
        {
            extensions.Add(new("orderStatus", OrderViews.Name(order.State)));
        }

        return CommerceProblems.Result(result.Error!, extensions);
    }

    private static CommerceException NotFound() =>
        new(new CommerceError(MarketplaceErrorCodes.OrderNotFound, "No such order.", "orderId"));

    private static CommerceException UnknownFulfilment(string sellerId) =>
        new(new CommerceError(OrderingErrorCodes.UnknownFulfilment, $"The order has no fulfilment for seller '{sellerId}'.", "sellerId"));

    private static CommerceException Forbidden(string message) =>
        new(new CommerceError(MarketplaceErrorCodes.Forbidden, message));

    private readonly record struct Access(bool IsAdmin, bool IsBuyer, SellerId? Seller)
    {
        public SellerId? OnlySeller => IsAdmin || IsBuyer ? null : Seller;
    }
}
