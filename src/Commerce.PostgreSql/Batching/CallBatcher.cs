using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Commerce.PostgreSql.Batching;

/// <summary>
/// A call waiting to be coalesced by a <see cref="CallBatcher{TCall}"/>: the rows it writes, named by keys, and its
/// completion. Subclasses carry the arguments and, once the batch ran, the result.
/// </summary>
/// <param name="exclusive">
/// Keys of rows no other call in flight may touch at all (a payment, a caller's key, a saga): a second call with one
/// of them waits for the next batch, so one batch never holds two changes of one row.
/// </param>
/// <param name="shared">
/// Keys of rows several calls of one batch may share (a stock row, updated once for all of them), but no two batches
/// in flight at once: a batch never waits in the database for another batch's commit.
/// </param>
internal abstract class BatchedCall(string[] exclusive, string[]? shared = null)
{
    public string[] Exclusive { get; } = exclusive;

    public string[] Shared { get; } = shared ?? [];

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Group commit: coalesces concurrent calls into batches, each run as one round trip and one transaction. A fixed set
/// of workers each take whatever is queued (up to the batch size): at low load a call goes alone and waits for nobody;
/// under load many calls share one commit. The generalization of <c>ReservationBatcher</c> to any call whose rows are
/// named by keys.
/// </summary>
/// <remarks>
/// <para>Batches in flight never share a row. A call that needs a row another worker's batch holds is parked, and when
/// that batch ends its worker starts its next batch with the parked calls, oldest first; while a call is parked no
/// younger call may take any of its rows, so nothing is starved. A call whose exclusive row is already in the
/// worker's own batch goes back to the queue after that batch.</para>
/// </remarks>
/// <typeparam name="TCall">The call type.</typeparam>
internal sealed class CallBatcher<TCall> : IAsyncDisposable
    where TCall : BatchedCall
{
    private readonly Func<List<TCall>, Task> _execute;
    private readonly int _maxBatchSize;
    private readonly Channel<TCall> _queue = Channel.CreateUnbounded<TCall>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _workers;

    // Guarded by _gate: the rows of the batches in flight (row -> worker), the parked calls (oldest first), and how
    // many parked calls want each row.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);
    private readonly List<TCall> _parked = [];
    private readonly Dictionary<string, int> _wanted = new(StringComparer.Ordinal);

    /// <param name="execute">Runs one batch and completes every call in it (results first, then the completions).</param>
    /// <param name="maxBatchSize">The most calls in one batch.</param>
    /// <param name="workers">How many batches may be in flight at once.</param>
    public CallBatcher(Func<List<TCall>, Task> execute, int maxBatchSize, int workers)
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

    /// <summary>Queues a call and waits for its batch to end.</summary>
    public Task EnqueueAsync(TCall call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(call), this);

        // Once queued the call runs to completion; a cancelled caller only stops waiting.
        return cancellationToken.CanBeCanceled ? call.Completion.Task.WaitAsync(cancellationToken) : call.Completion.Task;
    }

    /// <summary>Stops taking calls; the queued ones still run.</summary>
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

            // Read outside the gate: every waiting worker wakes for a new call, and most find the queue empty.
            var incoming = worker.Incoming;
            while (batch.Count + incoming.Count < _maxBatchSize && reader.TryRead(out var call))
            {
                incoming.Add(call);
            }

            if (incoming.Count > 0)
            {
                lock (_gate)
                {
                    foreach (var call in incoming)
                    {
                        if (IsFree(call, worker, claimed: null))
                        {
                            Take(call, worker);
                        }
                        else
                        {
                            Park(call);
                        }
                    }
                }

                incoming.Clear();
            }

            if (batch.Count > 0)
            {
                try
                {
                    await _execute(batch).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
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
                    again.Completion.TrySetException(new ObjectDisposedException(nameof(CallBatcher<TCall>)));
                }
            }

            batch.Clear();
            worker.Exclusive.Clear();
            worker.Deferred.Clear();
        }
    }

    /// <summary>The worker's batch has ended: frees its rows and starts the next batch with the parked calls that can go.</summary>
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
                var call = _parked[i];
                if (worker.Batch.Count < _maxBatchSize && IsFree(call, worker, claimed))
                {
                    Unpark(call);
                    Take(call, worker);
                }
                else
                {
                    // It stays parked, and keeps its rows from the younger calls behind it.
                    _parked[kept++] = call;
                    claimed.UnionWith(call.Exclusive);
                    claimed.UnionWith(call.Shared);
                }
            }

            _parked.RemoveRange(kept, _parked.Count - kept);
        }
    }

    /// <summary>
    /// Whether a call may join this worker's batch: no other worker's batch holds any of its rows, and no older parked
    /// call wants them (those in <paramref name="claimed"/> when re-taking parked calls in order, and any parked call's
    /// rows for a new one).
    /// </summary>
    private bool IsFree(TCall call, Worker worker, HashSet<string>? claimed) =>
        AreFree(call.Exclusive, worker, claimed) && AreFree(call.Shared, worker, claimed);

    private bool AreFree(string[] rows, Worker worker, HashSet<string>? claimed)
    {
        foreach (var row in rows)
        {
            if ((_held.TryGetValue(row, out var holder) && holder != worker.Id)
                || (claimed is null ? _wanted.ContainsKey(row) : claimed.Contains(row)))
            {
                return false;
            }
        }

        return true;
    }

    private void Take(TCall call, Worker worker)
    {
        // A second change of an exclusive row goes in a later batch, after this one committed.
        foreach (var row in call.Exclusive)
        {
            if (worker.Exclusive.Contains(row))
            {
                worker.Deferred.Add(call);
                return;
            }
        }

        worker.Exclusive.UnionWith(call.Exclusive);
        Hold(call.Exclusive, worker);
        Hold(call.Shared, worker);
        worker.Batch.Add(call);
    }

    private void Hold(string[] rows, Worker worker)
    {
        foreach (var row in rows)
        {
            if (_held.TryAdd(row, worker.Id))
            {
                worker.Rows.Add(row);
            }
        }
    }

    private void Park(TCall call)
    {
        _parked.Add(call);
        Want(call.Exclusive);
        Want(call.Shared);
    }

    private void Want(string[] rows)
    {
        foreach (var row in rows)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_wanted, row, out _)++;
        }
    }

    private void Unpark(TCall call)
    {
        Unwant(call.Exclusive);
        Unwant(call.Shared);
    }

    private void Unwant(string[] rows)
    {
        foreach (var row in rows)
        {
            ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(_wanted, row);
            if (--count == 0)
            {
                _wanted.Remove(row);
            }
        }
    }

    /// <summary>One worker's state: its batch, the rows the batch holds, and scratch space.</summary>
    private sealed class Worker(int id, int maxBatchSize)
    {
        public int Id { get; } = id;

        public List<TCall> Batch { get; } = new(maxBatchSize);

        public List<string> Rows { get; } = [];

        public HashSet<string> Exclusive { get; } = new(StringComparer.Ordinal);

        public List<TCall> Deferred { get; } = [];

        public HashSet<string> Claimed { get; } = new(StringComparer.Ordinal);

        public List<TCall> Incoming { get; } = new(maxBatchSize);
    }
}
