using Microsoft.Extensions.Logging;

namespace Commerce.Redis.Streams;

internal static partial class StreamsLog
{
    [LoggerMessage(1, LogLevel.Warning, "Handler failed on delivery {DeliveryCount} of stream entry {EntryId} (event {EventId}) in group {Group}; it will be delivered again.")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string entryId, Guid eventId, int deliveryCount, string group);

    [LoggerMessage(2, LogLevel.Error, "Stream entry {EntryId} moved to the dead-letter stream of group {Group}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string entryId, string group, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Redis stream consumer {Consumer} of group {Group} could not reach Redis.")]
    public static partial void RedisFailed(ILogger logger, Exception exception, string consumer, string group);

    [LoggerMessage(4, LogLevel.Information, "Took over {Count} stream entries idle for longer than {IdleTime} in group {Group}; dead-lettered {DeadLettered}.")]
    public static partial void Claimed(ILogger logger, int count, TimeSpan idleTime, string group, long deadLettered);

    [LoggerMessage(5, LogLevel.Error, "A round of Redis stream consumer {Consumer} of group {Group} failed; retrying after the poll interval.")]
    public static partial void RoundFailed(ILogger logger, Exception exception, string consumer, string group);
}
