namespace Commerce.Events;

/// <summary>
/// An outbox that never holds anything: what a relay reads when its engine's store keeps no outbox of its own
/// (for example an in-memory store created without event recording).
/// </summary>
public sealed class EmptyOutboxStore : IOutboxStore
{
    private EmptyOutboxStore()
    {
    }

    /// <summary>The one instance.</summary>
    public static EmptyOutboxStore Instance { get; } = new();

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken) =>
        new(Array.Empty<OutboxMessage>());

    /// <inheritdoc />
    public ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken) => default;

    /// <inheritdoc />
    public ValueTask MarkFailedAsync(OutboxMessage message, string error, TimeSpan retryAfter, bool deadLetter, CancellationToken cancellationToken) => default;
}
