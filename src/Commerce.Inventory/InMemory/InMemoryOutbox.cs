using System.Collections.Concurrent;
using Commerce.Events;

namespace Commerce.Inventory.InMemory;

/// <summary>
/// The in-memory store's outbox. Producers append lock-free while they hold the rows they changed, so events of one
/// stream are queued in the order their changes happened. One relay drains it strictly in order: a message that
/// failed holds back the ones after it until it is delivered or dead-lettered, which keeps per-stream order without
/// tracking streams.
/// </summary>
internal sealed class InMemoryOutbox(TimeProvider timeProvider) : IOutboxStore
{
    // Event ids are this outbox's random prefix plus the position: unique across restarts, stable across redeliveries.
    private readonly long _instance = BitConverter.ToInt64(Guid.NewGuid().ToByteArray());
    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly List<OutboxMessage> _head = [];
    private readonly ConcurrentQueue<(OutboxMessage Message, string Error)> _deadLetters = new();
    private DateTimeOffset _retryAt = DateTimeOffset.MinValue;
    private long _position;

    public IReadOnlyCollection<(OutboxMessage Message, string Error)> DeadLetters => _deadLetters;

    public void Append(string eventType, string streamId, DateTimeOffset occurredAt, object payload) =>
        _queue.Enqueue(new Pending(Interlocked.Increment(ref _position), eventType, streamId, occurredAt, payload));

    public ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (_head)
        {
            // A failed head waits for its retry time before anything behind it moves.
            if (_head.Count > 0 && timeProvider.GetUtcNow() < _retryAt)
            {
                return new(Array.Empty<OutboxMessage>());
            }

            while (_head.Count < maxCount && _queue.TryDequeue(out var pending))
            {
                _head.Add(new OutboxMessage(pending.Position, pending.ToEnvelope(_instance), 0));
            }

            return new(_head.Count <= maxCount ? [.. _head] : _head.GetRange(0, maxCount));
        }
    }

    public ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        lock (_head)
        {
            var published = messages.Select(static m => m.Position).ToHashSet();
            _head.RemoveAll(m => published.Contains(m.Position));
        }

        return ValueTask.CompletedTask;
    }

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
                _retryAt = timeProvider.GetUtcNow() + retryAfter;
            }
        }

        return ValueTask.CompletedTask;
    }

    private sealed record Pending(long Position, string EventType, string StreamId, DateTimeOffset OccurredAt, object Payload)
    {
        // Serialized when relayed, not when the change happens: keeps JSON work off the reservation hot path.
        public EventEnvelope ToEnvelope(long instance)
        {
            var bytes = Payload switch
            {
                Reservation reservation => InventoryEventFactory.Serialize(reservation),
                StockAdjustedEvent adjusted => InventoryEventFactory.Serialize(adjusted),
                _ => throw new InvalidOperationException($"Unexpected payload {Payload.GetType()}."),
            };
            return new EventEnvelope(EventId(instance, Position), EventType, StreamId, OccurredAt, bytes);
        }

        private static Guid EventId(long instance, long position)
        {
            Span<byte> bytes = stackalloc byte[16];
            BitConverter.TryWriteBytes(bytes, instance);
            BitConverter.TryWriteBytes(bytes[8..], position);
            return new Guid(bytes);
        }
    }
}
