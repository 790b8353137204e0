using System.Collections.Concurrent;
using Commerce.Events;

namespace Commerce.Ordering.InMemory;

/// <summary>
/// The in-memory store's outbox. Producers append while they hold the order they changed, so an order's events are
/// queued in version order. One relay drains it strictly in order: a message that failed holds back the ones after it
/// until it is delivered or dead-lettered, which keeps per-order order without tracking streams. A relay that stops
/// between claiming and marking leaves its messages at the head, so the next claim offers them again (at least once).
/// </summary>
internal sealed class InMemoryOrderOutbox(TimeProvider timeProvider) : IOutboxStore
{
    private readonly ConcurrentQueue<OrderEvent> _queue = new();
    private readonly List<OutboxMessage> _head = [];
    private readonly ConcurrentQueue<(OutboxMessage Message, string Error)> _deadLetters = new();
    private DateTimeOffset _retryAt = DateTimeOffset.MinValue;
    private long _position;

    public IReadOnlyCollection<(OutboxMessage Message, string Error)> DeadLetters => _deadLetters;

    public void Append(OrderEvent change) => _queue.Enqueue(change);

    public ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (_head)
        {
            // A failed head waits for its retry time before anything behind it moves.
            if (_head.Count > 0 && timeProvider.GetUtcNow() < _retryAt)
            {
                return new(Array.Empty<OutboxMessage>());
            }

            while (_head.Count < maxCount && _queue.TryDequeue(out var change))
            {
                // Serialized when relayed, not when the change happens: keeps JSON work off the command path.
                var envelope = new EventEnvelope(change.EventId, change.TypeName, change.OrderId.Value, change.OccurredAt, OrderEventSerializer.Serialize(change))
                {
                    CorrelationId = change.CommandId.Value,
                };
                _head.Add(new OutboxMessage(++_position, envelope, 0));
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
}
