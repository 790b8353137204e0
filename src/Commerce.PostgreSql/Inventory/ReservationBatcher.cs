using Commerce.Inventory;
using Commerce.Inventory.Storage;
using Commerce.PostgreSql.Batching;

namespace Commerce.PostgreSql.Inventory;

/// <summary>
/// Coalesces concurrent reservation requests into batches, each one database call (see
/// <see cref="RowBatcher{TCall, TRow, TKey}"/>): the rows are the stock rows of the request's lines, which a batch
/// updates once for all its requests, and the key is the reservation id, so two copies of one id go to different
/// calls and the second replays the first.
/// </summary>
internal sealed class ReservationBatcher(Func<IReadOnlyList<ReservationBatcher.Pending>, CancellationToken, Task> execute, int maxBatchSize, int workers)
    : RowBatcher<ReservationBatcher.Pending, (Sku, LocationId), ReservationId>(batch => execute(batch, CancellationToken.None), maxBatchSize, workers)
{
    public ValueTask<ReservationResult> ReserveAsync(ReservationCommand command, CancellationToken cancellationToken) =>
        EnqueueAsync(new Pending(command), cancellationToken);

    /// <summary>Queues a request (a reservation, or a subclass carrying more work for the same call) and waits for its batch.</summary>
    /// <remarks>Once queued the request runs to completion; a cancelled caller stops waiting and can replay the id later.</remarks>
    public new ValueTask<ReservationResult> EnqueueAsync(Pending pending, CancellationToken cancellationToken)
    {
        Queue(pending, cancellationToken);
        return new(cancellationToken.CanBeCanceled ? pending.Completion.Task.WaitAsync(cancellationToken) : pending.Completion.Task);
    }

    /// <summary>A queued request. Subclasses carry more work to do in the same call (a checkout's order and saga).</summary>
    internal class Pending(ReservationCommand command) : IBatchedCall<(Sku, LocationId), ReservationId>
    {
        public ReservationCommand Command { get; } = command;

        public TaskCompletionSource<ReservationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int RowCount => Command.Lines.Count;

        public int KeyCount => 1;

        public Task Finished => Completion.Task;

        public (Sku, LocationId) Row(int index)
        {
            var line = Command.Lines[index];
            return (line.Sku, line.Location);
        }

        public ReservationId Key(int index) => Command.Id;

        public void Fail(Exception exception) => Completion.TrySetException(exception);
    }
}
