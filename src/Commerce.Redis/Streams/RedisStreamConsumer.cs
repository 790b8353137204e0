using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Commerce.Redis.Streams;

/// <summary>
/// One consumer of a consumer group on a Redis stream: reads new entries (<c>XREADGROUP</c>), hands each to an
/// <see cref="IStreamEventHandler"/> and acknowledges (<c>XACK</c>) the handled ones; every
/// <see cref="RedisStreamConsumerOptions.ClaimInterval"/> it takes over entries left unacknowledged for longer than
/// <see cref="RedisStreamConsumerOptions.ClaimIdleTime"/> (their consumer died, or their handler failed), and moves
/// entries delivered <see cref="RedisStreamConsumerOptions.MaxDeliveries"/> times to the dead-letter stream. Entries
/// of one batch are handled one after another, in stream order. Usable without a host (<see cref="RunAsync"/>,
/// <see cref="ProcessOnceAsync"/>); <c>AddRedisStreamConsumer</c> runs it as a hosted service.
/// </summary>
public sealed class RedisStreamConsumer
{
    // Entries idle past the limit: the ones delivered too often go to the dead letter (with their fields and why),
    // the others are claimed for this consumer. One script, so no other consumer claims between the check and the claim.
    internal const string ClaimScript = """
        local group, consumer, idle = ARGV[1], ARGV[2], ARGV[3]
        local max_deliveries = tonumber(ARGV[5])
        local pending = redis.call('XPENDING', KEYS[1], group, 'IDLE', idle, '-', '+', ARGV[4])
        local claimed = {}
        local dead = 0
        for _, p in ipairs(pending) do
          local id, owner, deliveries = p[1], p[2], tonumber(p[4])
          if deliveries >= max_deliveries then
            local entries = redis.call('XRANGE', KEYS[1], id, id)
            if #entries > 0 then
              local fields = entries[1][2]
              table.insert(fields, 'dead-letter-reason')
              table.insert(fields, 'not acknowledged after ' .. deliveries .. ' deliveries (last consumer ' .. owner .. ')')
              table.insert(fields, 'delivery-count')
              table.insert(fields, tostring(deliveries))
              table.insert(fields, 'source-id')
              table.insert(fields, id)
              table.insert(fields, 'group')
              table.insert(fields, group)
              redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', unpack(fields))
              dead = dead + 1
            end
            redis.call('XACK', KEYS[1], group, id)
          else
            local entries = redis.call('XCLAIM', KEYS[1], group, consumer, idle, id)
            if #entries > 0 and entries[1] then
              claimed[#claimed + 1] = {id, entries[1][2], deliveries + 1}
            else
              -- Trimmed from the stream while pending: nothing left to deliver.
              redis.call('XACK', KEYS[1], group, id)
            end
          end
        end
        return {claimed, dead}
        """;

    // Acknowledges and dead-letters together, only if the entry is still pending (another consumer may have taken it
    // over and acknowledged it meanwhile).
    internal const string DeadLetterScript = """
        local entries = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        if acked == 1 and #entries > 0 then
          local fields = entries[1][2]
          table.insert(fields, 'dead-letter-reason')
          table.insert(fields, ARGV[4])
          table.insert(fields, 'delivery-count')
          table.insert(fields, ARGV[5])
          table.insert(fields, 'source-id')
          table.insert(fields, ARGV[2])
          table.insert(fields, 'group')
          table.insert(fields, ARGV[1])
          redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(fields))
        end
        return acked
        """;

    private readonly IDatabase _database;
    private readonly RedisStreamConsumerOptions _options;
    private readonly IStreamEventHandler _handler;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly RedisKey[] _streamAndDeadLetter;
    private readonly RedisValue[] _claimArguments;
    private long _lastClaim;
    private bool _groupReady;

    /// <summary>Creates a consumer.</summary>
    /// <param name="database">The Redis database (standalone or cluster).</param>
    /// <param name="options">The stream, group and limits; copied.</param>
    /// <param name="handler">Handles each event.</param>
    /// <param name="keyPrefix">Prefix of the stream's keys (see <see cref="RedisOptions.KeyPrefix"/>).</param>
    /// <param name="timeProvider">For the poll and claim intervals.</param>
    /// <param name="logger">Where handler failures and dead letters are reported.</param>
    public RedisStreamConsumer(
        IDatabase database, RedisStreamConsumerOptions options, IStreamEventHandler handler, string keyPrefix = "commerce:",
        TimeProvider? timeProvider = null, ILogger<RedisStreamConsumer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        if (options.Errors() is { } errors)
        {
            throw new ArgumentException(errors, nameof(options));
        }

        _database = database;
        _options = options.Snapshot();
        _handler = handler;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        StreamKey = RedisStreamKeys.Stream(keyPrefix, _options.StreamName);
        DeadLetterKey = RedisStreamKeys.DeadLetter(keyPrefix, _options.StreamName);
        _streamAndDeadLetter = [StreamKey, DeadLetterKey];
        _claimArguments =
        [
            _options.GroupName, _options.ConsumerName, (long)Math.Ceiling(_options.ClaimIdleTime.TotalMilliseconds), _options.BatchSize,
            _options.MaxDeliveries, _options.DeadLetterMaxLength,
        ];
        _lastClaim = _timeProvider.GetTimestamp() - (long)(_options.ClaimInterval.TotalSeconds * _timeProvider.TimestampFrequency);
    }

    /// <summary>The stream's Redis key.</summary>
    public RedisKey StreamKey { get; }

    /// <summary>The dead-letter stream's Redis key: entries keep their fields and gain <c>dead-letter-reason</c>, <c>delivery-count</c>, <c>source-id</c> and <c>group</c>.</summary>
    public RedisKey DeadLetterKey { get; }

    /// <summary>This consumer's name in its group.</summary>
    public string ConsumerName => _options.ConsumerName!;

    /// <summary>Creates the consumer group (and the stream) unless they exist.</summary>
    public async ValueTask EnsureGroupAsync()
    {
        if (_groupReady)
        {
            return;
        }

        try
        {
            await _database.StreamCreateConsumerGroupAsync(
                StreamKey, _options.GroupName, _options.StartFromBeginning ? "0" : "$", createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another consumer created it first.
        }

        _groupReady = true;
    }

    /// <summary>
    /// One round: takes over idle entries when the claim interval has passed, then reads and handles up to a batch of
    /// new entries. Returns how many entries were delivered to the handler (or dead-lettered), whatever their outcome.
    /// </summary>
    public async ValueTask<int> ProcessOnceAsync(CancellationToken cancellationToken)
    {
        await EnsureGroupAsync().ConfigureAwait(false);
        try
        {
            var delivered = 0;
            if (_timeProvider.GetElapsedTime(_lastClaim) >= _options.ClaimInterval)
            {
                _lastClaim = _timeProvider.GetTimestamp();
                var (claimed, deadLettered) = await ClaimAsync().ConfigureAwait(false);
                delivered += deadLettered + await HandleAsync(claimed, cancellationToken).ConfigureAwait(false);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return delivered;
            }

            var fresh = await _database.StreamReadGroupAsync(StreamKey, _options.GroupName, _options.ConsumerName, ">", _options.BatchSize)
                .ConfigureAwait(false);
            var entries = new List<Delivery>(fresh.Length);
            foreach (var entry in fresh)
            {
                entries.Add(new Delivery(entry.Id, entry.Values, 1));
            }

            return delivered + await HandleAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // The stream or the group was deleted: create them again on the next round.
            _groupReady = false;
            return 0;
        }
    }

    /// <summary>
    /// Consumes until <paramref name="cancellationToken"/> is cancelled, sleeping <see cref="RedisStreamConsumerOptions.PollInterval"/>
    /// when there is nothing to do and retrying while Redis is unreachable. On cancellation it finishes the event in
    /// hand, acknowledges what it handled and leaves the rest of its batch pending, for another consumer to take over;
    /// if it holds nothing pending it leaves the group.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            int delivered;
            try
            {
                delivered = await ProcessOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Redis unreachable, or a fault of its own: back off and try again; pending entries stay pending.
                StreamsLog.RoundFailed(_logger, ex, ConsumerName, _options.GroupName);
                delivered = 0;
            }

            if (delivered == 0)
            {
                try
                {
                    await Task.Delay(_options.PollInterval, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await LeaveGroupIfIdleAsync().ConfigureAwait(false);
    }

    private async ValueTask<(List<Delivery> Claimed, int DeadLettered)> ClaimAsync()
    {
        var result = await _database.ScriptEvaluateAsync(ClaimScript, _streamAndDeadLetter, _claimArguments).ConfigureAwait(false);
        var claimed = (RedisResult[])result[0]!;
        var deadLettered = (int)result[1];
        var deliveries = new List<Delivery>(claimed.Length);
        foreach (var entry in claimed)
        {
            var flat = (RedisValue[])entry[1]!;
            var fields = new NameValueEntry[flat.Length / 2];
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = new NameValueEntry(flat[2 * i], flat[(2 * i) + 1]);
            }

            deliveries.Add(new Delivery((RedisValue)entry[0], fields, (int)entry[2]));
        }

        if (claimed.Length > 0 || deadLettered > 0)
        {
            StreamsLog.Claimed(_logger, claimed.Length, _options.ClaimIdleTime, _options.GroupName, deadLettered);
        }

        return (deliveries, deadLettered);
    }

    private async ValueTask<int> HandleAsync(List<Delivery> entries, CancellationToken cancellationToken)
    {
        var handled = new List<RedisValue>(entries.Count);
        var delivered = 0;
        try
        {
            foreach (var entry in entries)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                delivered++;
                if (!StreamEntryFormat.TryRead(entry.Fields, out var envelope))
                {
                    await DeadLetterAsync(entry, "not an event envelope (missing or malformed fields)").ConfigureAwait(false);
                    continue;
                }

                try
                {
                    await _handler.HandleAsync(envelope, new StreamDelivery(entry.Id, entry.DeliveryCount, ConsumerName), cancellationToken)
                        .ConfigureAwait(false);
                    handled.Add(entry.Id);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    StreamsLog.HandlerFailed(_logger, ex, entry.Id.ToString(), envelope.EventId, entry.DeliveryCount, _options.GroupName);
                    if (entry.DeliveryCount >= _options.MaxDeliveries)
                    {
                        await DeadLetterAsync(entry, $"handler failed on delivery {entry.DeliveryCount}: {ex.GetType().Name}: {ex.Message}")
                            .ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            if (handled.Count > 0)
            {
                await _database.StreamAcknowledgeAsync(StreamKey, _options.GroupName, [.. handled]).ConfigureAwait(false);
            }
        }

        return delivered;
    }

    private async ValueTask DeadLetterAsync(Delivery entry, string reason)
    {
        var acked = await _database.ScriptEvaluateAsync(
            DeadLetterScript,
            _streamAndDeadLetter,
            [_options.GroupName, entry.Id, _options.DeadLetterMaxLength, reason, entry.DeliveryCount]).ConfigureAwait(false);
        if ((long)acked == 1)
        {
            StreamsLog.DeadLettered(_logger, entry.Id.ToString(), _options.GroupName, reason);
        }
    }

    private async ValueTask LeaveGroupIfIdleAsync()
    {
        try
        {
            if (!_groupReady)
            {
                return;
            }

            var pending = await _database.StreamPendingMessagesAsync(StreamKey, _options.GroupName, 1, ConsumerName).ConfigureAwait(false);
            if (pending.Length == 0)
            {
                // Nothing of ours is pending, so removing the consumer loses nothing and keeps the group's list short.
                await _database.StreamDeleteConsumerAsync(StreamKey, _options.GroupName, ConsumerName).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            StreamsLog.RedisFailed(_logger, ex, ConsumerName, _options.GroupName);
        }
    }

    private readonly record struct Delivery(RedisValue Id, NameValueEntry[] Fields, int DeliveryCount);
}
