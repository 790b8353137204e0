using System.Collections.Concurrent;

namespace Commerce.Events;

/// <summary>
/// An outbox held in memory, for the embedded (in-memory) stores. Producers append lock-free while they hold the state
/// they changed, so the events of one stream are queued in the order their changes happened. One relay drains it
/// strictly in order: a message that failed holds back the ones after it until it is delivered or dead-lettered,
/// which keeps per-stream order without tracking streams.
/// </summary>
public sealed class InMemoryOutboxStore : IOutboxStore
{
    // Event ids of lazily built envelopes are this outbox's random prefix plus the position: unique across restarts,
    // stable across redeliveries.
    private readonly long _instance = BitConverter.ToInt64(Guid.NewGuid().ToByteArray());
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly List<OutboxMessage> _head = [];
    private readonly ConcurrentQueue<(OutboxMessage Message, string Error)> _deadLetters = new();
    private DateTimeOffset _retryAt = DateTimeOffset.MinValue;
    private long _position;

    /// <summary>Creates an empty outbox.</summary>
    public InMemoryOutboxStore(TimeProvider? timeProvider = null) => _timeProvider = timeProvider ?? TimeProvider.System;

    /// <summary>The messages that exhausted their attempts, with the last error.</summary>
    public IReadOnlyCollection<(OutboxMessage Message, string Error)> DeadLetters => _deadLetters;

    /// <summary>Appends an event.</summary>
    public void Append(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        _queue.Enqueue(new Pending(Interlocked.Increment(ref _position), envelope.EventId, envelope.EventType, envelope.StreamId, envelope.OccurredAt, envelope.CorrelationId, envelope, null));
    }

    /// <summary>
    /// Appends an event whose payload is serialized only when it is relayed, which keeps serialization off the
    /// producer's hot path. <paramref name="serialize"/> must be a pure function of <paramref name="payload"/>.
    /// </summary>
    public void Append(string eventType, string streamId, DateTimeOffset occurredAt, object payload, Func<object, ReadOnlyMemory<byte>> serialize)
    {
        ValidateLazy(eventType, streamId, payload, serialize);
        var position = Interlocked.Increment(ref _position);
        _queue.Enqueue(new Pending(position, EventId(_instance, position), eventType, streamId, occurredAt, null, payload, serialize));
    }

    /// <summary>Appends an event with its own id (and correlation id), serialized only when it is relayed (see the other overload).</summary>
    public void Append(
        Guid eventId, string eventType, string streamId, DateTimeOffset occurredAt, object payload, Func<object, ReadOnlyMemory<byte>> serialize,
        string? correlationId = null)
    {
        ValidateLazy(eventType, streamId, payload, serialize);
        _queue.Enqueue(new Pending(Interlocked.Increment(ref _position), eventId, eventType, streamId, occurredAt, correlationId, payload, serialize));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (_head)
        {
            // A failed head waits for its retry time before anything behind it moves.
            if (_head.Count > 0 && _timeProvider.GetUtcNow() < _retryAt)
            {
                return new(Array.Empty<OutboxMessage>());
            }

            while (_head.Count < maxCount && _queue.TryDequeue(out var pending))
            {
                _head.Add(new OutboxMessage(pending.Position, pending.ToEnvelope(), 0));
            }

            return new(_head.Count <= maxCount ? [.. _head] : _head.GetRange(0, maxCount));
        }
    }

    /// <inheritdoc />
    public ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        lock (_head)
        {
            var published = messages.Select(static m => m.Position).ToHashSet();
            _head.RemoveAll(m => published.Contains(m.Position));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask MarkFailedAsync(OutboxMessage message, string error, TimeSpan retryAfter, bool deadLetter, CancellationToken cancellationToken)
    {
        lock (_head)
        {
            var index = _head.FindIndex(m => m.Position == message.Position);
            if (index < 0)
            {
                return ValueTask.CompletedTask;
            }

            if (deadLetter)
            {
                _deadLetters.Enqueue((_head[index] with { Attempts = message.Attempts + 1 }, error));
                _head.RemoveAt(index);
            }
            else
            {
                _head[index] = _head[index] with { Attempts = message.Attempts + 1 };
                _retryAt = _timeProvider.GetUtcNow() + retryAfter;
            }
        }

        return ValueTask.CompletedTask;
    }

    // Checked when appended: a bad event must fail its producer, not poison the relay later.
    private static void ValidateLazy(string eventType, string streamId, object payload, Func<object, ReadOnlyMemory<byte>> serialize)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(serialize);
    }

    private static Guid EventId(long instance, long position)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, instance);
        BitConverter.TryWriteBytes(bytes[8..], position);
        return new Guid(bytes);
    }

    /// <summary>
    /// A queued event: the envelope itself when it was appended ready-made, else its parts and the payload, turned into
    /// an envelope only when the relay claims it. A struct, held inline in the queue's segments: an event costs the
    /// producer no allocation of its own here.
    /// </summary>
    private readonly record struct Pending(
        long Position, Guid EventId, string EventType, string StreamId, DateTimeOffset OccurredAt, string? CorrelationId, object Payload,
        Func<object, ReadOnlyMemory<byte>>? Serialize)
    {
        public EventEnvelope ToEnvelope() => Serialize is null
            ? (EventEnvelope)Payload
            : new EventEnvelope(EventId, EventType, StreamId, OccurredAt, Serialize(Payload)) { CorrelationId = CorrelationId };
    }
}
