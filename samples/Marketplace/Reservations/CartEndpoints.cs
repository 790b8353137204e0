using System.Security.Claims;
using Commerce;
using Commerce.Inventory;
using Marketplace.Catalog;
using Marketplace.Errors;
using Marketplace.Idempotency;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Reservations;

/// <summary>Holds stock for a cart: every line or none.</summary>
/// <param name="Lines">The products and quantities.</param>
/// <param name="TtlSeconds">How long to hold the stock; the engine's default (15 minutes) when not set.</param>
public sealed record ReserveRequest(IReadOnlyList<ReserveLineRequest>? Lines, int? TtlSeconds);

/// <summary>One cart line.</summary>
public sealed record ReserveLineRequest(string? Sku, long Quantity);

/// <summary>A reservation as its buyer sees it.</summary>
public sealed record ReservationView(
    string Id, ReservationState State, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, IReadOnlyList<ReservationLineView> Lines);

/// <summary>A reservation line, with the product's current title (null when it has been delisted).</summary>
public sealed record ReservationLineView(string Sku, string? Title, string Location, long Quantity);

/// <summary>What one line asked for and what was available, on a 409 <c>inventory.insufficient_stock</c>.</summary>
public sealed record LineAvailabilityView(string Sku, string Location, long Requested, long Available);

/// <summary>
/// The buyer's cart: hold stock (reserve), buy it (commit) or abandon it (release). A buyer sees and changes only
/// their own reservations; anyone else's answers 404 <c>inventory.reservation_not_found</c>.
/// </summary>
public static class CartEndpoints
{
    /// <summary>The problem-details extension listing each line's availability.</summary>
    public const string AvailabilityExtension = "availability";

    /// <summary>Maps <c>/cart</c>.</summary>
    public static IEndpointRouteBuilder MapCartEndpoints(this IEndpointRouteBuilder app)
    {
        var cart = app.MapGroup("/cart/reservations").WithTags("Cart").RequireAuthorization(MarketplacePolicies.Buyer);
        cart.MapPost("/", ReserveAsync);
        cart.MapGet("/", ListAsync);
        cart.MapGet("/{id}", GetAsync);
        cart.MapPost("/{id}/commit", CommitAsync);
        cart.MapPost("/{id}/release", ReleaseAsync);
        return app;
    }

    /// <summary>POST /cart/reservations (Idempotency-Key required)</summary>
    private static async Task<Results<Created<ReservationView>, Ok<ReservationView>, ProblemHttpResult>> ReserveAsync(
        ReserveRequest request,
        [FromHeader(Name = IdempotencyHeader.Name)] string? idempotencyKey,
        ClaimsPrincipal user,
        ProductCatalog catalog,
        InventoryService inventory,
        ReservationOwners owners,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var buyer = user.GetBuyerId();
        var key = IdempotencyHeader.Parse(idempotencyKey);
        var lines = ToLines(request.Lines, catalog);
        var reservation = new ReservationRequest(ScopedIds.Reservation(buyer, key), lines)
        {
            Ttl = request.TtlSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        };

        ReservationResult result;
        try
        {
            result = await inventory.ReserveAsync(reservation, cancellationToken);
        }
        catch (CommerceException ex) when (ex.Code == InventoryErrorCodes.UnknownSku)
        {
            // A listed product that never received stock has no stock record. To a buyer that is not a bad request,
            // just none available: answer like any other shortage.
            return InsufficientStock(await AvailabilityAsync(lines, inventory, cancellationToken));
        }

        if (!result.IsSuccess)
        {
            return InsufficientStock(result.Availability);
        }

        // Also on a replay: after a restart on PostgreSQL the engine remembers the reservation but this map does not.
        owners.Record(reservation.Id, buyer);
        var view = ToView(result.Reservation!, catalog);
        if (result.IsReplay)
        {
            IdempotencyHeader.MarkReplayed(response);
            return TypedResults.Ok(view);
        }

        return TypedResults.Created($"/cart/reservations/{view.Id}", view);
    }

    /// <summary>GET /cart/reservations</summary>
    private static async Task<Ok<IReadOnlyList<ReservationView>>> ListAsync(
        ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, ReservationOwners owners, CancellationToken cancellationToken)
    {
        var views = new List<ReservationView>();
        foreach (var id in owners.ListFor(user.GetBuyerId()))
        {
            if (await inventory.GetReservationAsync(id, cancellationToken) is { } reservation)
            {
                views.Add(ToView(reservation, catalog));
            }
            else
            {
                owners.Forget(id);
            }
        }

        return TypedResults.Ok<IReadOnlyList<ReservationView>>(views.OrderByDescending(static v => v.CreatedAt).ToList());
    }

    /// <summary>GET /cart/reservations/{id}</summary>
    private static async Task<Ok<ReservationView>> GetAsync(
        string id, ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, ReservationOwners owners, CancellationToken cancellationToken)
    {
        var reservationId = Owned(id, user.GetBuyerId(), owners);
        var reservation = await inventory.GetReservationAsync(reservationId, cancellationToken);
        if (reservation is null)
        {
            owners.Forget(reservationId);
            throw NotFound(id);
        }

        return TypedResults.Ok(ToView(reservation, catalog));
    }

    /// <summary>POST /cart/reservations/{id}/commit: buy what the reservation holds.</summary>
    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult>> CommitAsync(
        string id, ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, ReservationOwners owners, CancellationToken cancellationToken)
    {
        var result = await inventory.CommitAsync(Owned(id, user.GetBuyerId(), owners), cancellationToken);
        return ToResult(result, catalog);
    }

    /// <summary>POST /cart/reservations/{id}/release: abandon the cart and give the stock back.</summary>
    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult>> ReleaseAsync(
        string id, ClaimsPrincipal user, ProductCatalog catalog, InventoryService inventory, ReservationOwners owners, CancellationToken cancellationToken)
    {
        var result = await inventory.ReleaseAsync(Owned(id, user.GetBuyerId(), owners), cancellationToken);
        return ToResult(result, catalog);
    }

    private static ReservationLine[] ToLines(IReadOnlyList<ReserveLineRequest>? lines, ProductCatalog catalog)
    {
        // Empty, duplicate and out-of-range lines are the engine's to refuse; the catalog check is the marketplace's.
        var result = new ReservationLine[lines?.Count ?? 0];
        for (var i = 0; i < result.Length; i++)
        {
            var line = lines![i] ?? throw new CommerceValidationException(InventoryErrorCodes.EmptyReservation, $"Line {i} is null.", "lines");
            var sku = new Sku(line.Sku ?? string.Empty);
            if (catalog.Find(sku) is null)
            {
                throw new CommerceValidationException(MarketplaceErrorCodes.UnknownProduct, $"Line {i} names '{sku}', which is not in the catalog.", "lines");
            }

            result[i] = new ReservationLine(sku, line.Quantity);
        }

        return result;
    }

    private static async Task<IReadOnlyList<LineAvailability>> AvailabilityAsync(
        ReservationLine[] lines, InventoryService inventory, CancellationToken cancellationToken)
    {
        var availability = new LineAvailability[lines.Length];
        var location = new LocationId(inventory.Options.DefaultLocation);
        for (var i = 0; i < lines.Length; i++)
        {
            var stock = await inventory.GetStockAsync(lines[i].Sku, cancellationToken: cancellationToken);
            availability[i] = new LineAvailability(lines[i].Sku, location, lines[i].Quantity, Math.Max(0, stock?.Reservable ?? 0));
        }

        return availability;
    }

    private static ProblemHttpResult InsufficientStock(IReadOnlyList<LineAvailability> availability) =>
        CommerceProblems.Result(
            new CommerceError(InventoryErrorCodes.InsufficientStock, "Not enough stock is available for at least one line; nothing was reserved."),
            [
                new(AvailabilityExtension, availability
                    .Select(static a => new LineAvailabilityView(a.Sku.Value, a.Location.Value, a.Requested, a.Available))
                    .ToList()),
            ]);

    private static Results<Ok<ReservationView>, ProblemHttpResult> ToResult(ReservationResult result, ProductCatalog catalog)
    {
        if (result.IsSuccess)
        {
            return TypedResults.Ok(ToView(result.Reservation!, catalog));
        }

        // Expired, or already finished the other way (released then committed): show the state it is in.
        return CommerceProblems.Result(result.Error!, result.Reservation is { } reservation ? [new("state", reservation.State)] : null);
    }

    /// <summary>The reservation id, if the buyer owns it; otherwise the same 404 as for an id that does not exist.</summary>
    private static ReservationId Owned(string id, BuyerId buyer, ReservationOwners owners) =>
        ReservationId.TryParse(id, out var reservationId) && owners.IsOwnedBy(reservationId, buyer)
            ? reservationId
            : throw NotFound(id);

    private static CommerceException NotFound(string id) =>
        new(new CommerceError(InventoryErrorCodes.ReservationNotFound, $"No reservation has id '{id}'.", "id"));

    private static ReservationView ToView(Reservation reservation, ProductCatalog catalog) =>
        new(reservation.Id.Value, reservation.State, reservation.CreatedAt, reservation.ExpiresAt,
            reservation.Lines
                .Select(l => new ReservationLineView(l.Sku.Value, catalog.Find(l.Sku)?.Title, l.Location.Value, l.Quantity))
                .ToList());
}
