using Commerce.Events;
using StackExchange.Redis;

namespace Commerce.Redis.Streams;

/// <summary>
/// Handles the events a <see cref="RedisStreamConsumer"/> receives. Delivery is at least once: an event is delivered
/// again when its consumer died before acknowledging it, and may have been published twice; a handler makes its
/// effect idempotent on <see cref="EventEnvelope.EventId"/> (see the package README).
/// </summary>
public interface IStreamEventHandler
{
    /// <summary>
    /// Handles one event. Returning acknowledges it; throwing leaves it pending, to be delivered again after
    /// <see cref="RedisStreamConsumerOptions.ClaimIdleTime"/>, or dead-lettered on its last allowed delivery.
    /// </summary>
    ValueTask HandleAsync(EventEnvelope envelope, StreamDelivery delivery, CancellationToken cancellationToken);
}

/// <summary>How an event reached a handler.</summary>
/// <param name="EntryId">The stream entry's id.</param>
/// <param name="DeliveryCount">Which delivery this is: 1 the first time, more after consumers died or handlers failed.</param>
/// <param name="ConsumerName">The consumer that received it.</param>
public readonly record struct StreamDelivery(RedisValue EntryId, int DeliveryCount, string ConsumerName);
