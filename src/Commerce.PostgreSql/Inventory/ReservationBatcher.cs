using System.Threading.Channels;
using Commerce.Inventory;
using Commerce.Inventory.Storage;

namespace Commerce.PostgreSql.Inventory;

/// <summary>
/// Coalesces concurrent reservation requests into batches. A fixed set of workers each take whatever is queued (up
/// to the batch size) and run it as one database call: at low load a request goes alone and waits for nobody; under
/// a flash sale thousands of requests for one SKU become a few dozen row updates and commits.
/// </summary>
internal sealed class ReservationBatcher : IAsyncDisposable
{
    private readonly PostgreSqlInventoryStore _store;
    private readonly int _maxBatchSize;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _workers;

    public ReservationBatcher(PostgreSqlInventoryStore store, int maxBatchSize, int workers)
    {
        _store = store;
        _maxBatchSize = maxBatchSize;
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(RunAsync);
        }
    }

    public ValueTask<ReservationResult> ReserveAsync(ReservationCommand command, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(command);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        // Once queued the request runs to completion; a cancelled caller stops waiting and can replay the id later.
        return new(cancellationToken.CanBeCanceled ? pending.Completion.Task.WaitAsync(cancellationToken) : pending.Completion.Task);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(_maxBatchSize);
        var ids = new HashSet<ReservationId>();
        var deferred = new List<Pending>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatchSize && reader.TryRead(out var pending))
            {
                // Two copies of one id go to different calls: the second then replays the first.
                if (ids.Add(pending.Command.Id))
                {
                    batch.Add(pending);
                }
                else
                {
                    deferred.Add(pending);
                }
            }

            if (batch.Count > 0)
            {
                try
                {
                    await _store.ExecuteBatchAsync(batch, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // The call is one transaction: on failure none of the batch was applied.
                    foreach (var failed in batch)
                    {
                        failed.Completion.TrySetException(ex);
                    }
                }
            }

            foreach (var again in deferred)
            {
                if (!_queue.Writer.TryWrite(again))
                {
                    again.Completion.TrySetException(new ObjectDisposedException(nameof(PostgreSqlInventoryStore)));
                }
            }

            batch.Clear();
            ids.Clear();
            deferred.Clear();
        }
    }

    internal sealed class Pending(ReservationCommand command)
    {
        public ReservationCommand Command { get; } = command;

        public TaskCompletionSource<ReservationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
