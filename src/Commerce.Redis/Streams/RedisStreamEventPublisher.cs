using Commerce.Events;
using StackExchange.Redis;

namespace Commerce.Redis.Streams;

/// <summary>
/// An <see cref="IEventPublisher"/> that appends events to a Redis stream (<c>XADD</c>, trimmed with <c>MAXLEN ~</c>),
/// for <see cref="RedisStreamConsumer"/> groups or any other stream reader. A batch is one Lua script: one round trip,
/// added in order. Publishing the same event again within <see cref="RedisEventStreamOptions.DedupeWindow"/> adds
/// nothing, so an outbox relay that crashed after publishing and before marking its outbox does not duplicate the
/// batch it publishes again.
/// </summary>
public sealed class RedisStreamEventPublisher : IEventPublisher
{
    /// <summary>The most events sent in one script; a longer batch is sent in several, in order, each after the last succeeded.</summary>
    internal const int MaxEventsPerScript = 256;

    // Marker first checked, then the entry, then the marker set: a failure in between can only duplicate an event,
    // never record one as published that was not added.
    internal const string Script = """
        local maxlen = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local n = tonumber(ARGV[3])
        local added = 0
        for i = 0, n - 1 do
          local b = 4 + i * 6
          local marker = KEYS[2 + i]
          if window == 0 or redis.call('EXISTS', marker) == 0 then
            if maxlen > 0 then
              redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'id', ARGV[b], 'type', ARGV[b + 1], 'stream', ARGV[b + 2], 'at', ARGV[b + 3], 'corr', ARGV[b + 4], 'data', ARGV[b + 5])
            else
              redis.call('XADD', KEYS[1], '*', 'id', ARGV[b], 'type', ARGV[b + 1], 'stream', ARGV[b + 2], 'at', ARGV[b + 3], 'corr', ARGV[b + 4], 'data', ARGV[b + 5])
            end
            if window > 0 then
              redis.call('SET', marker, '1', 'PX', window)
            end
            added = added + 1
          end
        end
        return added
        """;

    private readonly IDatabase _database;
    private readonly string _markerPrefix;
    private readonly RedisValue _maxLength;
    private readonly RedisValue _windowMilliseconds;
    private readonly bool _dedupe;

    /// <summary>Creates a publisher.</summary>
    /// <param name="database">The Redis database (standalone or cluster).</param>
    /// <param name="options">The stream; copied.</param>
    /// <param name="keyPrefix">Prefix of the stream's keys (see <see cref="RedisOptions.KeyPrefix"/>).</param>
    public RedisStreamEventPublisher(IDatabase database, RedisEventStreamOptions options, string keyPrefix = "commerce:")
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        if (options.Errors() is { } errors)
        {
            throw new ArgumentException(errors, nameof(options));
        }

        _database = database;
        StreamKey = RedisStreamKeys.Stream(keyPrefix, options.StreamName);
        _markerPrefix = RedisStreamKeys.PublishedMarkerPrefix(keyPrefix, options.StreamName);
        _maxLength = options.MaxLength;
        _dedupe = options.DedupeWindow > TimeSpan.Zero;
        _windowMilliseconds = _dedupe ? (long)Math.Ceiling(options.DedupeWindow.TotalMilliseconds) : 0;
    }

    /// <summary>The stream's Redis key.</summary>
    public RedisKey StreamKey { get; }

    /// <inheritdoc />
    public async ValueTask PublishAsync(IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        for (var start = 0; start < events.Count; start += MaxEventsPerScript)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(MaxEventsPerScript, events.Count - start);
            var keys = new RedisKey[_dedupe ? count + 1 : 1];
            var values = new RedisValue[3 + (count * StreamEntryFormat.ValuesPerEvent)];
            keys[0] = StreamKey;
            values[0] = _maxLength;
            values[1] = _windowMilliseconds;
            values[2] = count;
            for (var i = 0; i < count; i++)
            {
                var envelope = events[start + i];
                ArgumentNullException.ThrowIfNull(envelope, nameof(events));
                if (_dedupe)
                {
                    keys[1 + i] = _markerPrefix + envelope.EventId.ToString("N");
                }

                StreamEntryFormat.Write(envelope, values, 3 + (i * StreamEntryFormat.ValuesPerEvent));
            }

            await _database.ScriptEvaluateAsync(Script, keys, values).ConfigureAwait(false);
        }
    }
}
