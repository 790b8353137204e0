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
internal abstract class BatchedCall(string[] exclusive, string[]? shared = null) : IBatchedCall<string, string>
{
    public string[] Exclusive { get; } = exclusive;

    public string[] Shared { get; } = shared ?? [];

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Rows: the exclusive ones, then the shared ones; keys: the exclusive ones (also no two of a batch).
    public int RowCount => Exclusive.Length + Shared.Length;

    public int KeyCount => Exclusive.Length;

    public Task Finished => Completion.Task;

    public string Row(int index) => index < Exclusive.Length ? Exclusive[index] : Shared[index - Exclusive.Length];

    public string Key(int index) => Exclusive[index];

    public void Fail(Exception exception) => Completion.TrySetException(exception);
}

/// <summary>
/// <see cref="RowBatcher{TCall, TRow, TKey}"/> for calls whose rows are named by strings: an exclusive row is held
/// across batches and appears at most once in a batch; a shared row is held across batches only.
/// </summary>
/// <typeparam name="TCall">The call type.</typeparam>
internal sealed class CallBatcher<TCall>(Func<List<TCall>, Task> execute, int maxBatchSize, int workers)
    : RowBatcher<TCall, string, string>(execute, maxBatchSize, workers)
    where TCall : BatchedCall;


