using System.Net.ServerSentEvents;
using System.Security.Claims;
using Commerce;
using Marketplace.Errors;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Notifications;

/// <summary>The caller's notifications.</summary>
public sealed record NotificationList(IReadOnlyList<Notification> Items);

/// <summary>
/// The signed-in user's notification feed, as a list (<c>GET /api/notifications?after=</c>) and as a Server-Sent Events
/// stream (<c>GET /api/notifications/stream</c>, each event's id is its sequence: a reconnecting client sends it back
/// as <c>Last-Event-ID</c> and misses nothing still in the feed). Only ever the caller's own feed.
/// </summary>
public static class NotificationEndpoints
{
    private const int MaxLimit = 200;

    /// <summary>Maps <c>/api/notifications</c>.</summary>
    public static IEndpointRouteBuilder MapNotificationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/notifications").WithTags("Notifications").RequireAuthorization(MarketplacePolicies.AnyUser);
        group.MapGet("/", List).WithSummary("The caller's notifications after a sequence number, oldest first.");
        group.MapGet("/stream", Stream).WithSummary("The caller's notifications as Server-Sent Events (event type 'notification').");
        return app;
    }

    private static Ok<NotificationList> List(ClaimsPrincipal user, NotificationFeed feed, long? after, int? limit)
    {
        if (after is < 0 || limit is < 1 or > MaxLimit)
        {
            throw new CommerceValidationException(MarketplaceErrorCodes.InvalidRequest, $"after must be 0 or more and limit between 1 and {MaxLimit}.", after is < 0 ? "after" : "limit");
        }

        return TypedResults.Ok(new NotificationList(feed.Read(user.GetUserId(), after ?? 0, limit ?? 50)));
    }

    private static ServerSentEventsResult<Notification> Stream(ClaimsPrincipal user, NotificationFeed feed, HttpRequest request, long? after, CancellationToken cancellationToken)
    {
        var from = after ?? (long.TryParse(request.Headers["Last-Event-ID"], out var last) && last >= 0 ? last : 0);
        return TypedResults.ServerSentEvents(Items(feed.StreamAsync(user.GetUserId(), from, cancellationToken)));

        static async IAsyncEnumerable<SseItem<Notification>> Items(IAsyncEnumerable<Notification> notifications)
        {
            await foreach (var notification in notifications)
            {
                yield return new SseItem<Notification>(notification, "notification") { EventId = notification.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }
        }
    }
}
