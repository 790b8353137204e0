using StackExchange.Redis;

namespace Commerce.Redis.Streams;

/// <summary>The keys of one event stream; all carry the stream name as hash tag, so one script may touch them on a cluster.</summary>
internal static class RedisStreamKeys
{
    public static RedisKey Stream(string keyPrefix, string streamName) => $"{keyPrefix}events:{{{streamName}}}";

    public static RedisKey DeadLetter(string keyPrefix, string streamName) => $"{keyPrefix}events:{{{streamName}}}:dead-letter";

    public static string PublishedMarkerPrefix(string keyPrefix, string streamName) => $"{keyPrefix}events:{{{streamName}}}:published:";
}
