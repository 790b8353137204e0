using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Commerce.PostgreSql.Batching;

/// <summary>A call a <see cref="RowBatcher{TCall, TRow, TKey}"/> coalesces: the rows it writes, its keys, its completion.</summary>
/// <typeparam name="TRow">What names a row.</typeparam>
/// <typeparam name="TKey">What names a key.</typeparam>
internal interface IBatchedCall<TRow, TKey>
{
    /// <summary>How many rows the call writes: no two batches in flight hold one row.</summary>
    int RowCount { get; }

    /// <summary>How many keys the call has: no two calls of one batch share a key.</summary>
    int KeyCount { get; }

    /// <summary>Completes when the call's batch has ended and the call's result is set.</summary>
    Task Finished { get; }

    /// <summary>Row <paramref name="index"/> (by index: no array per call for rows the call already holds).</summary>
    TRow Row(int index);

    /// <summary>Key <paramref name="index"/>.</summary>
    TKey Key(int index);

    /// <summary>Ends the call with an error: its batch failed (none of it was applied), or the batcher was disposed.</summary>
    void Fail(Exception exception);
}

/// <summary>
/// Group commit: coalesces concurrent calls into batches, each run as one round trip and one transaction. A fixed set
/// of workers each take whatever is queued (up to the batch size): at low load a call goes alone and waits for nobody;
/// under load many calls share one commit (a flash sale's thousands of reservations of one SKU become a few dozen row
/// updates and commits).
/// </summary>
/// <remarks>
/// <para>Batches in flight never share a row: a second batch holding a row the first holds would only wait in the
/// database for the first one's commit while its other rows sit locked, so a hot row would see small batches queued
/// behind each other's commits. A call that needs a row another worker's batch holds is parked, and when that batch
/// ends its worker starts its next batch with the parked calls, oldest first (a hot row gets one batch at a time,
/// holding everything that queued meanwhile); while a call is parked no younger call may take any of its rows, so
/// nothing is starved. A call with a key already in the worker's own batch goes back to the queue after that
/// batch.</para>
/// </remarks>
/// <typeparam name="TCall">The call type.</typeparam>
/// <typeparam name="TRow">What names a row.</typeparam>
/// <typeparam name="TKey">What names a call's keys.</typeparam>
internal class RowBatcher<TCall, TRow, TKey> : IAsyncDisposable
    where TCall : IBatchedCall<TRow, TKey>
    where TRow : notnull
{
    private readonly Func<List<TCall>, Task> _execute;
    private readonly int _maxBatchSize;
    private readonly Channel<TCall> _queue = Channel.CreateUnbounded<TCall>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _workers;

    // Guarded by _gate: the rows of the batches in flight (row -> worker), the parked calls (oldest first), and how
    // many parked calls want each row.
    private readonly Lock _gate = new();
    private readonly Dictionary<TRow, int> _held = [];
    private readonly List<TCall> _parked = [];
    private readonly Dictionary<TRow, int> _wanted = [];

    /// <param name="execute">Runs one batch and completes every call in it (results first, then the completions).</param>
    /// <param name="maxBatchSize">The most calls in one batch.</param>
    /// <param name="workers">How many batches may be in flight at once.</param>
    public RowBatcher(Func<List<TCall>, Task> execute, int maxBatchSize, int workers)
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
        Queue(call, cancellationToken);

        // Once queued the call runs to completion; a cancelled caller only stops waiting.
        return cancellationToken.CanBeCanceled ? call.Finished.WaitAsync(cancellationToken) : call.Finished;
    }

    /// <summary>Queues a call; the caller waits for its completion in the form it has.</summary>
    protected void Queue(TCall call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(call), this);
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
                    // The batch is one transaction: a failure before its commit applied none of it; one after it (the
                    // connection lost while reading the answer) is, for the callers, a crash after the write.
                    foreach (var failed in batch)
                    {
                        failed.Fail(ex);
                    }
                }
            }

            foreach (var again in worker.Deferred)
            {
                if (!_queue.Writer.TryWrite(again))
                {
                    again.Fail(new ObjectDisposedException(GetType().Name));
                }
            }

            batch.Clear();
            worker.Keys.Clear();
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
                    for (var r = 0; r < call.RowCount; r++)
                    {
                        claimed.Add(call.Row(r));
                    }
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
    private bool IsFree(TCall call, Worker worker, HashSet<TRow>? claimed)
    {
        for (var i = 0; i < call.RowCount; i++)
        {
            var row = call.Row(i);
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
        // A second call with one key goes in a later batch, after this one committed.
        for (var i = 0; i < call.KeyCount; i++)
        {
            if (worker.Keys.Contains(call.Key(i)))
            {
                worker.Deferred.Add(call);
                return;
            }
        }

        for (var i = 0; i < call.KeyCount; i++)
        {
            worker.Keys.Add(call.Key(i));
        }

        for (var i = 0; i < call.RowCount; i++)
        {
            var row = call.Row(i);
            if (_held.TryAdd(row, worker.Id))
            {
                worker.Rows.Add(row);
            }
        }

        worker.Batch.Add(call);
    }

    private void Park(TCall call)
    {
        _parked.Add(call);
        for (var i = 0; i < call.RowCount; i++)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_wanted, call.Row(i), out _)++;
        }
    }

    private void Unpark(TCall call)
    {
        for (var i = 0; i < call.RowCount; i++)
        {
            var row = call.Row(i);
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

        public List<TRow> Rows { get; } = [];

        public HashSet<TKey> Keys { get; } = [];

        public List<TCall> Deferred { get; } = [];

        public HashSet<TRow> Claimed { get; } = [];

        public List<TCall> Incoming { get; } = new(maxBatchSize);
    }
}
