namespace Commerce.Events;

/// <summary>An event waiting in an outbox, written in the same transaction as the state change it describes.</summary>
/// <param name="Position">The message's position in its outbox; increasing in commit order within a stream.</param>
/// <param name="Event">The event.</param>
/// <param name="Attempts">How many publish attempts have failed so far.</param>
public sealed record OutboxMessage(long Position, EventEnvelope Event, int Attempts);

/// <summary>
/// The read side of a transactional outbox. The write side belongs to each store, which appends events in the same
/// transaction as its state; this contract lets one relay drain any of them.
/// </summary>
public interface IOutboxStore
{
    /// <summary>
    /// Returns up to <paramref name="maxCount"/> unpublished messages, oldest first, and leases them for
    /// <paramref name="lease"/> so that relays in other processes skip them meanwhile.
    /// </summary>
    ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Marks messages as published; they are never returned again.</summary>
    ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed attempt: the message is offered again after <paramref name="retryAfter"/>, or moved to the
    /// dead letter when <paramref name="deadLetter"/> is set.
    /// </summary>
    ValueTask MarkFailedAsync(OutboxMessage message, string error, TimeSpan retryAfter, bool deadLetter, CancellationToken cancellationToken);
}
