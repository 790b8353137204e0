using System.Runtime.InteropServices;
using System.Threading.Channels;
using Commerce.Inventory;
using Commerce.Inventory.Storage;

namespace Commerce.PostgreSql.Inventory;

/// <summary>
/// Coalesces concurrent reservation requests into batches. A fixed set of workers each take whatever is queued (up
/// to the batch size) and run it as one database call: at low load a request goes alone and waits for nobody; under
/// a flash sale thousands of requests for one SKU become a few dozen row updates and commits.
/// </summary>
/// <remarks>
/// <para>
/// Batches in flight never share a stock row. A second batch holding a row that a first one holds would only wait
/// in the database for the first one's commit (a row lock lasts until commit) while its other rows sit locked, so a
/// hot SKU would see several small batches queued behind each other's commits. Instead, a request that needs a row
/// another worker's batch holds is parked, and when that batch ends its worker starts its next batch with the parked
/// requests, oldest first: a hot SKU gets one batch at a time, holding everything that queued meanwhile.
/// </para>
/// <para>
/// Parked requests keep their place: while one waits, no younger request may take any of its rows, so a request
/// over several hot SKUs is not starved by single-SKU traffic. Every parked request waits, directly or through
/// older parked requests, for a batch in flight, whose worker takes the parked requests again when it ends.
/// </para>
/// </remarks>
internal sealed class ReservationBatcher : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<Pending>, CancellationToken, Task> _execute;
    private readonly int _maxBatchSize;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _workers;

    // Guarded by _gate: the rows of the batches in flight (row -> worker), the parked requests (oldest first), and
    // how many parked requests want each row.
    private readonly Lock _gate = new();
    private readonly Dictionary<(Sku, LocationId), int> _held = [];
    private readonly List<Pending> _parked = [];
    private readonly Dictionary<(Sku, LocationId), int> _wanted = [];

    /// <param name="execute">Runs one batch as one database call and completes every request in it.</param>
    /// <param name="maxBatchSize">The most requests in one batch.</param>
    /// <param name="workers">How many batches may be in flight at once.</param>
    public ReservationBatcher(Func<IReadOnlyList<Pending>, CancellationToken, Task> execute, int maxBatchSize, int workers)
    {
        _execute = execute;
        _maxBatchSize = maxBatchSize;
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            var worker = new Worker(i, maxBatchSize);
            _workers[i] = Task.Run(() => RunAsync(worker));
        }
    }

    public ValueTask<ReservationResult> ReserveAsync(ReservationCommand command, CancellationToken cancellationToken) =>
        EnqueueAsync(new Pending(command), cancellationToken);

    /// <summary>Queues a request (a reservation, or a subclass carrying more work for the same call) and waits for its batch.</summary>
    public ValueTask<ReservationResult> EnqueueAsync(Pending pending, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        // Once queued the request runs to completion; a cancelled caller stops waiting and can replay the id later.
        return new(cancellationToken.CanBeCanceled ? pending.Completion.Task.WaitAsync(cancellationToken) : pending.Completion.Task);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private async Task RunAsync(Worker worker)
    {
        var batch = worker.Batch;
        var reader = _queue.Reader;
        while (true)
        {
            if (worker.Rows.Count > 0)
            {
                FreeAndTakeParked(worker);
            }

            if (batch.Count == 0 && !await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                return;
            }

            // Read outside the gate: every waiting worker wakes for a new request, and most find the queue empty.
            var incoming = worker.Incoming;
            while (batch.Count + incoming.Count < _maxBatchSize && reader.TryRead(out var pending))
            {
                incoming.Add(pending);
            }

            if (incoming.Count > 0)
            {
                lock (_gate)
                {
                    foreach (var pending in incoming)
                    {
                        if (IsFree(pending, worker, claimed: null))
                        {
                            Take(pending, worker);
                        }
                        else
                        {
                            Park(pending);
                        }
                    }
                }

                incoming.Clear();
            }

            if (batch.Count > 0)
            {
                try
                {
                    await _execute(batch, CancellationToken.None).ConfigureAwait(false);
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

            foreach (var again in worker.Deferred)
            {
                if (!_queue.Writer.TryWrite(again))
                {
                    again.Completion.TrySetException(new ObjectDisposedException(nameof(PostgreSqlInventoryStore)));
                }
            }

            batch.Clear();
            worker.Ids.Clear();
            worker.Deferred.Clear();
        }
    }

    /// <summary>The worker's batch has ended: frees its rows and starts the next batch with the parked requests that can go.</summary>
    private void FreeAndTakeParked(Worker worker)
    {
        lock (_gate)
        {
            foreach (var row in worker.Rows)
            {
                _held.Remove(row);
            }

            worker.Rows.Clear();
            var claimed = worker.Claimed;
            claimed.Clear();
            var kept = 0;
            for (var i = 0; i < _parked.Count; i++)
            {
                var pending = _parked[i];
                if (worker.Batch.Count < _maxBatchSize && IsFree(pending, worker, claimed))
                {
                    Unpark(pending);
                    Take(pending, worker);
                }
                else
                {
                    // It stays parked, and keeps its rows from the younger requests behind it.
                    _parked[kept++] = pending;
                    foreach (var line in pending.Command.Lines)
                    {
                        claimed.Add((line.Sku, line.Location));
                    }
                }
            }

            _parked.RemoveRange(kept, _parked.Count - kept);
        }
    }

    /// <summary>
    /// Whether a request may join this worker's batch: no other worker's batch holds any of its rows, and no older
    /// parked request wants them (those in <paramref name="claimed"/> when re-taking parked requests in order, and
    /// any parked request's rows for a new one).
    /// </summary>
    private bool IsFree(Pending pending, Worker worker, HashSet<(Sku, LocationId)>? claimed)
    {
        foreach (var line in pending.Command.Lines)
        {
            var row = (line.Sku, line.Location);
            if ((_held.TryGetValue(row, out var holder) && holder != worker.Id)
                || (claimed is null ? _wanted.ContainsKey(row) : claimed.Contains(row)))
            {
                return false;
            }
        }

        return true;
    }

    private void Take(Pending pending, Worker worker)
    {
        // Two copies of one id go to different calls: the second then replays the first.
        if (!worker.Ids.Add(pending.Command.Id))
        {
            worker.Deferred.Add(pending);
            return;
        }

        foreach (var line in pending.Command.Lines)
        {
            if (_held.TryAdd((line.Sku, line.Location), worker.Id))
            {
                worker.Rows.Add((line.Sku, line.Location));
            }
        }

        worker.Batch.Add(pending);
    }

    private void Park(Pending pending)
    {
        _parked.Add(pending);
        foreach (var line in pending.Command.Lines)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_wanted, (line.Sku, line.Location), out _)++;
        }
    }

    private void Unpark(Pending pending)
    {
        foreach (var line in pending.Command.Lines)
        {
            var row = (line.Sku, line.Location);
            ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(_wanted, row);
            if (--count == 0)
            {
                _wanted.Remove(row);
            }
        }
    }

    /// <summary>A queued request. Subclasses carry more work to do in the same call (a checkout's order and saga).</summary>
    internal class Pending(ReservationCommand command)
    {
        public ReservationCommand Command { get; } = command;

        public TaskCompletionSource<ReservationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One worker's state: its batch, the rows the batch holds, and scratch space.</summary>
    private sealed class Worker(int id, int maxBatchSize)
    {
        public int Id { get; } = id;

        public List<Pending> Batch { get; } = new(maxBatchSize);

        public List<(Sku, LocationId)> Rows { get; } = [];

        public HashSet<ReservationId> Ids { get; } = [];

        public List<Pending> Deferred { get; } = [];

        public HashSet<(Sku, LocationId)> Claimed { get; } = [];

        public List<Pending> Incoming { get; } = new(maxBatchSize);
    }
}
