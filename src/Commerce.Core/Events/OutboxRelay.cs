namespace Commerce.Events;

/// <summary>Settings of an <see cref="OutboxRelay"/>.</summary>
public sealed record OutboxRelayOptions
{
    /// <summary>The most messages claimed per round. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>How long claimed messages stay hidden from other relays. Default 30 seconds.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait when the outbox is empty. Default 200 milliseconds.</summary>
    public TimeSpan IdleDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Failed attempts after which a message goes to the dead letter. Default 10.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>The first retry delay; it doubles per failed attempt up to one minute. Default 1 second.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Moves events from an <see cref="IOutboxStore"/> to an <see cref="IEventPublisher"/>: at least once, in order per
/// stream, retrying with backoff and dead-lettering a message after <see cref="OutboxRelayOptions.MaxAttempts"/>.
/// Safe to run in several processes at once: claims are leased.
/// </summary>
public sealed class OutboxRelay
{
    private readonly IOutboxStore _store;
    private readonly IEventPublisher _publisher;
    private readonly OutboxRelayOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a relay.</summary>
    public OutboxRelay(IOutboxStore store, IEventPublisher publisher, OutboxRelayOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(publisher);
        _store = store;
        _publisher = publisher;
        _options = options ?? new OutboxRelayOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Publishes one batch of pending messages and returns how many were delivered.</summary>
    public async ValueTask<int> PublishPendingAsync(CancellationToken cancellationToken)
    {
        var batch = await _store.ClaimAsync(_options.BatchSize, _options.Lease, cancellationToken).ConfigureAwait(false);
        if (batch.Count == 0)
        {
            return 0;
        }

        try
        {
            await _publisher.PublishAsync(batch.Select(static m => m.Event).ToArray(), cancellationToken).ConfigureAwait(false);
            await _store.MarkPublishedAsync(batch, cancellationToken).ConfigureAwait(false);
            return batch.Count;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The batch failed as a whole; deliver one by one so that one poison message holds up only its own stream.
            return await PublishOneByOneAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Relays until cancelled, sleeping <see cref="OutboxRelayOptions.IdleDelay"/> whenever the outbox is empty.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            int delivered;
            try
            {
                delivered = await PublishPendingAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The store itself failed (database down): back off and try again; nothing is lost.
                delivered = 0;
            }

            if (delivered == 0)
            {
                try
                {
                    await Task.Delay(_options.IdleDelay, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async ValueTask<int> PublishOneByOneAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken cancellationToken)
    {
        var blockedStreams = new HashSet<string>(StringComparer.Ordinal);
        var delivered = 0;
        foreach (var message in batch)
        {
            if (blockedStreams.Contains(message.Event.StreamId))
            {
                // An earlier event of this stream failed: publishing this one now would break per-stream order.
                continue;
            }

            try
            {
                await _publisher.PublishAsync([message.Event], cancellationToken).ConfigureAwait(false);
                await _store.MarkPublishedAsync([message], cancellationToken).ConfigureAwait(false);
                delivered++;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var attempts = message.Attempts + 1;
                var deadLetter = attempts >= _options.MaxAttempts;
                if (!deadLetter)
                {
                    blockedStreams.Add(message.Event.StreamId);
                }

                await _store.MarkFailedAsync(message, ex.Message, RetryDelay(attempts), deadLetter, cancellationToken).ConfigureAwait(false);
            }
        }

        return delivered;
    }

    private TimeSpan RetryDelay(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 16));
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.RetryBaseDelay.Ticks * factor, TimeSpan.FromMinutes(1).Ticks));
        return delay;
    }
}
