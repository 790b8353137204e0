using System.Collections.Concurrent;
using System.Threading.Channels;
using Marketplace.Diagnostics;
using Marketplace.Hosting;
using Microsoft.Extensions.Options;

namespace Marketplace.Notifications;

/// <summary>One notification in a user's feed; <c>sequence</c> increases within the feed (use it as <c>after</c>).</summary>
public sealed record Notification(long Sequence, string Id, string Type, string OrderId, string Status, string Message, DateTimeOffset OccurredAt);

/// <summary>
/// Per-user notification feeds in process memory: the newest <see cref="MarketplaceOptions.NotificationFeedSize"/>
/// per user, deduplicated by event id (the outbox delivers at least once), and live subscribers for the SSE stream.
/// A subscriber that cannot keep up loses its oldest undelivered items rather than slowing the relay down.
/// </summary>
public sealed class NotificationFeed(IOptions<MarketplaceOptions> options, MarketplaceTelemetry telemetry)
{
    private readonly ConcurrentDictionary<string, UserFeed> _feeds = new(StringComparer.Ordinal);
    private readonly int _capacity = options.Value.NotificationFeedSize;

    /// <summary>Adds a notification to a user's feed unless that event is already in it; true when added.</summary>
    public bool Add(string userId, string eventId, string type, string orderId, string status, string message, DateTimeOffset occurredAt)
    {
        var feed = _feeds.GetOrAdd(userId, static _ => new UserFeed());
        Notification notification;
        ChannelWriter<Notification>[] subscribers;
        lock (feed)
        {
            if (!feed.Ids.Add(eventId))
            {
                return false;
            }

            notification = new Notification(++feed.LastSequence, eventId, type, orderId, status, message, occurredAt);
            feed.Items.Enqueue(notification);
            while (feed.Items.Count > _capacity)
            {
                feed.Ids.Remove(feed.Items.Dequeue().Id);
            }

            subscribers = [.. feed.Subscribers];
        }

        foreach (var subscriber in subscribers)
        {
            subscriber.TryWrite(notification);
        }

        telemetry.Notified(1);
        return true;
    }

    /// <summary>The user's notifications after <paramref name="after"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<Notification> Read(string userId, long after, int limit)
    {
        if (!_feeds.TryGetValue(userId, out var feed))
        {
            return [];
        }

        lock (feed)
        {
            return feed.Items.Where(n => n.Sequence > after).Take(limit).ToList();
        }
    }

    /// <summary>Streams the user's notifications after <paramref name="after"/>: those already in the feed, then new ones as they come.</summary>
    public async IAsyncEnumerable<Notification> StreamAsync(string userId, long after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var feed = _feeds.GetOrAdd(userId, static _ => new UserFeed());
        var channel = Channel.CreateBounded<Notification>(new BoundedChannelOptions(_capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        List<Notification> backlog;
        lock (feed)
        {
            // Subscribing and taking the backlog under one lock: nothing added in between is missed or sent twice.
            backlog = feed.Items.Where(n => n.Sequence > after).ToList();
            feed.Subscribers.Add(channel.Writer);
        }

        try
        {
            foreach (var item in backlog)
            {
                yield return item;
            }

            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            lock (feed)
            {
                feed.Subscribers.Remove(channel.Writer);
            }
        }
    }

    private sealed class UserFeed
    {
        public readonly Queue<Notification> Items = new();
        public readonly HashSet<string> Ids = new(StringComparer.Ordinal);
        public readonly List<ChannelWriter<Notification>> Subscribers = [];
        public long LastSequence;
    }
}
