using Commerce.Checkout.Storage;
using Commerce.Collections;
using Commerce.Inventory;
using Commerce.Ordering;

namespace Commerce.Checkout.InMemory;

/// <summary>
/// The embedded <see cref="ICheckoutSagaStore"/>: sagas in memory, local steps composed from an
/// <see cref="InventoryService"/> and an <see cref="OrderService"/> (whatever stores those use). It is a composing
/// store: it records a saga at <see cref="CheckoutStep.Started"/> before reserving, so that a crash inside
/// <see cref="BeginAsync"/> leaves a saga the recovery worker resumes; every step is idempotent by the saga's ids.
/// </summary>
public sealed class InMemoryCheckoutSagaStore : ICheckoutSagaStore
{
    private readonly InventoryService _inventory;
    private readonly OrderService _orders;
    private readonly StripedDictionary<IdempotencyKey, Slot> _byKey = new();
    private readonly StripedDictionary<CheckoutId, Slot> _byId = new();

    // Sagas whose order id is not their checkout id (the checkout service always uses the checkout id): only those need
    // an index of their own to be found by order.
    private readonly StripedDictionary<OrderId, Slot> _byOtherOrder = new();

    // Sagas that may need driving (not finished, not awaiting shipment): what ListDueAsync scans, so the recovery
    // worker's pass costs the number of live sagas, not the number ever made.
    private readonly StripedDictionary<CheckoutId, Slot> _open = new();

    /// <summary>Creates the store over the services whose stores hold the stock and the orders.</summary>
    public InMemoryCheckoutSagaStore(InventoryService inventory, OrderService orders)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(orders);
        _inventory = inventory;
        _orders = orders;
    }

    /// <summary>Test hook: runs between the composed steps (a throw simulates a crash there).</summary>
    internal Func<string, CheckoutSaga, ValueTask>? StepHook { get; set; }

    /// <summary>How many sagas are stored.</summary>
    public int Count => _byId.Count;

    /// <inheritdoc />
    public async ValueTask<BeginResult> BeginAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saga);
        Slot slot;
        while (true)
        {
            if (_byKey.TryGetValue(saga.IdempotencyKey, out var existing))
            {
                var current = existing.Saga;
                if (current.Step != CheckoutStep.Started || current.Id != saga.Id)
                {
                    return new BeginResult(BeginStatus.Existing, current);
                }

                // A begin that crashed half-way (or is still running): take its turn, then look again.
                await existing.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (existing.Removed || existing.Saga.Step != CheckoutStep.Started)
                {
                    existing.Release();
                    continue;
                }

                if (existing.Saga.Version != saga.Version - 1)
                {
                    // Resuming a started saga is conditional on its version like any write: a stale resume loses.
                    var stored = existing.Saga;
                    existing.Release();
                    return new BeginResult(BeginStatus.Existing, stored);
                }

                slot = existing;
                break;
            }

            // The new slot's gate starts taken: nobody else can run a group on it until this begin is over. Until the
            // begin records the saga, readers see it claimed (Started, version 0).
            slot = Slot.Claim(saga);
            if (_byKey.TryAdd(saga.IdempotencyKey, slot))
            {
                _byId[saga.Id] = slot;
                if (!IsOwnOrder(saga))
                {
                    _byOtherOrder[saga.OrderId] = slot;
                }

                _open[saga.Id] = slot;
                break;
            }
        }

        try
        {
            await HookAsync("begin.claimed", saga).ConfigureAwait(false);
            ReservationResult reserved;
            try
            {
                reserved = await _inventory.ReserveAsync(CheckoutSagas.ToReservation(saga), cancellationToken).ConfigureAwait(false);
            }
            catch (CommerceException)
            {
                Withdraw(slot);
                throw;
            }

            if (!reserved.IsSuccess)
            {
                Withdraw(slot);
                return new BeginResult(BeginStatus.InsufficientStock, null, reserved.Availability);
            }

            await HookAsync("begin.reserved", saga).ConfigureAwait(false);
            await _orders.ExecuteAsync(CheckoutSagas.ToPlaceOrder(saga), cancellationToken).ConfigureAwait(false);
            await HookAsync("begin.placed", saga).ConfigureAwait(false);
            Set(slot, saga);
            return new BeginResult(BeginStatus.Begun, saga);
        }
        finally
        {
            slot.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<ConfirmResult> ConfirmAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saga);
        if (!_byId.TryGetValue(saga.Id, out var slot))
        {
            return new ConfirmResult(ConfirmStatus.VersionConflict, null);
        }

        await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = slot.Saga;
            if (slot.Removed || stored.Version != saga.Version - 1)
            {
                return new ConfirmResult(ConfirmStatus.VersionConflict, slot.Removed ? null : stored);
            }

            var order = await _orders.GetAsync(saga.OrderId, cancellationToken).ConfigureAwait(false);
            if (order is null || order.State is not (OrderState.AwaitingPayment or OrderState.Paid))
            {
                return new ConfirmResult(ConfirmStatus.OrderUnavailable, stored);
            }

            var committed = await _inventory.CommitAsync(saga.ReservationId, cancellationToken).ConfigureAwait(false);
            if (!committed.IsSuccess)
            {
                return new ConfirmResult(ConfirmStatus.ReservationLost, stored);
            }

            await HookAsync("confirm.committed", saga).ConfigureAwait(false);
            var paid = await _orders.ExecuteAsync(CheckoutSagas.ToMarkPaid(saga), cancellationToken).ConfigureAwait(false);
            if (!paid.IsSuccess)
            {
                // Cancelled by someone else between the check and the commit: the units just sold go back on hand.
                await RestockAsync(saga, cancellationToken).ConfigureAwait(false);
                return new ConfirmResult(ConfirmStatus.OrderUnavailable, stored);
            }

            await HookAsync("confirm.paid", saga).ConfigureAwait(false);
            Set(slot, saga);
            return new ConfirmResult(ConfirmStatus.Confirmed, saga);
        }
        finally
        {
            slot.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<SagaWriteResult> CompensateAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saga);
        if (!_byId.TryGetValue(saga.Id, out var slot))
        {
            return new SagaWriteResult(SagaWriteStatus.VersionConflict, null);
        }

        await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = slot.Saga;
            if (slot.Removed || stored.Version != saga.Version - 1)
            {
                return new SagaWriteResult(SagaWriteStatus.VersionConflict, slot.Removed ? null : stored);
            }

            await UndoAsync(saga, cancellationToken).ConfigureAwait(false);
            await HookAsync("compensate.undone", saga).ConfigureAwait(false);
            Set(slot, saga);
            return new SagaWriteResult(SagaWriteStatus.Written, saga);
        }
        finally
        {
            slot.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask<SagaWriteResult> UpdateAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saga);
        return _byId.TryGetValue(saga.Id, out var slot)
            ? WriteAsync(slot, saga, cancellationToken)
            : new(new SagaWriteResult(SagaWriteStatus.VersionConflict, null));
    }

    /// <inheritdoc />
    public ValueTask<CheckoutSaga?> GetAsync(CheckoutId id, CancellationToken cancellationToken) =>
        new(_byId.TryGetValue(id, out var slot) && !slot.Removed ? slot.Saga : null);

    /// <inheritdoc />
    public ValueTask<CheckoutSaga?> FindByKeyAsync(IdempotencyKey key, CancellationToken cancellationToken) =>
        new(_byKey.TryGetValue(key, out var slot) && !slot.Removed ? slot.Saga : null);

    /// <inheritdoc />
    public ValueTask<CheckoutSaga?> FindByOrderAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        if (_byId.TryGetValue(new CheckoutId(orderId.Value), out var own) && !own.Removed && own.Saga.OrderId == orderId)
        {
            return new(own.Saga);
        }

        return new(_byOtherOrder.TryGetValue(orderId, out var slot) && !slot.Removed ? slot.Saga : null);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CheckoutSaga>> ListDueAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken)
    {
        var due = new List<CheckoutSaga>();
        foreach (var slot in _open.SnapshotValues())
        {
            var saga = slot.Saga;
            if (!slot.Removed && saga.NeedsDriving && saga.LeaseExpiresAt <= now)
            {
                due.Add(saga);
            }
        }

        due.Sort(static (a, b) => a.LeaseExpiresAt.CompareTo(b.LeaseExpiresAt));
        if (due.Count > maxCount)
        {
            due.RemoveRange(maxCount, due.Count - maxCount);
        }

        return new(due);
    }

    private async ValueTask<SagaWriteResult> WriteAsync(Slot slot, CheckoutSaga saga, CancellationToken cancellationToken)
    {
        // Uncontended (the usual case) the gate is taken synchronously and this completes without awaiting.
        await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (slot.Removed || slot.Saga.Version != saga.Version - 1 || slot.Saga.Id != saga.Id)
            {
                return new SagaWriteResult(SagaWriteStatus.VersionConflict, slot.Removed ? null : slot.Saga);
            }

            Set(slot, saga);
            return new SagaWriteResult(SagaWriteStatus.Written, saga);
        }
        finally
        {
            slot.Release();
        }
    }

    private void Set(Slot slot, CheckoutSaga saga)
    {
        slot.Set(saga);
        if (!saga.NeedsDriving)
        {
            _open.TryRemove(saga.Id, out _);
        }
    }

    /// <summary>Withdraws the claim of a refused begin (the caller holds the gate): a refusal stores nothing.</summary>
    private void Withdraw(Slot slot)
    {
        slot.Removed = true;
        var saga = slot.Saga;
        _byId.TryRemove(saga.Id, slot);
        _byOtherOrder.TryRemove(saga.OrderId, slot);
        _open.TryRemove(saga.Id, slot);
        _byKey.TryRemove(saga.IdempotencyKey, slot);
    }

    private static bool IsOwnOrder(CheckoutSaga saga) => string.Equals(saga.OrderId.Value, saga.Id.Value, StringComparison.Ordinal);

    /// <summary>Releases the reservation if still active and cancels the order if it still awaits payment; idempotent.</summary>
    private async ValueTask UndoAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        var reservation = await _inventory.GetReservationAsync(saga.ReservationId, cancellationToken).ConfigureAwait(false);
        if (reservation is { State: ReservationState.Active })
        {
            // Released, expired or (after a concurrent commit) not active: the stock is not held by us any more either way.
            await _inventory.ReleaseAsync(saga.ReservationId, cancellationToken).ConfigureAwait(false);
        }

        await HookAsync("compensate.released", saga).ConfigureAwait(false);
        var order = await _orders.GetAsync(saga.OrderId, cancellationToken).ConfigureAwait(false);
        if (order is { State: OrderState.AwaitingPayment or OrderState.Pending })
        {
            await _orders.ExecuteAsync(CheckoutSagas.ToCancelOrder(saga), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask RestockAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        foreach (var line in saga.Lines)
        {
            await _inventory.AdjustStockAsync(
                new StockAdjustment(line.Sku, line.Quantity, "checkout: order unavailable after commit", CheckoutSagas.RestockKey(saga, line.Sku)),
                cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask HookAsync(string step, CheckoutSaga saga) => StepHook is { } hook ? hook(step, saga) : ValueTask.CompletedTask;

    /// <summary>
    /// One saga and the gate that serializes the groups run on it: within this process a group is never interleaved
    /// with another on the same saga, so its version check decides the race; only a crash can leave a group half-done.
    /// </summary>
    /// <remarks>
    /// The gate is a flag and, only while someone waits, a queue: a store keeps a slot per saga for as long as it lives,
    /// so the slot holds no semaphore object of its own (groups on one saga almost never meet).
    /// </remarks>
    private sealed class Slot
    {
        public volatile bool Removed;

        // The recorded saga; or, while the first begin runs (or after it crashed), null with the saga being begun in
        // _claimed: its Started view is built only for the rare reader, so a checkout stores one saga less.
        private volatile CheckoutSaga? _saga;
        private volatile CheckoutSaga? _claimed;
        private bool _taken;
        private Queue<TaskCompletionSource>? _waiters;

        private Slot(CheckoutSaga claimed)
        {
            _claimed = claimed;
            _taken = true;
        }

        /// <summary>The saga as stored now.</summary>
        public CheckoutSaga Saga => _claimed is { } claimed ? claimed with { Step = CheckoutStep.Started, Version = 0 } : _saga!;

        /// <summary>A slot claimed for <paramref name="saga"/>'s begin, its gate taken by the caller.</summary>
        public static Slot Claim(CheckoutSaga saga) => new(saga);

        /// <summary>Records a saga (the caller holds the gate).</summary>
        public void Set(CheckoutSaga saga)
        {
            // In this order: a reader that sees no claim any more sees the saga.
            _saga = saga;
            _claimed = null;
        }

        /// <summary>Takes the gate: at once when it is free, else in turn once the holders before release it.</summary>
        public ValueTask WaitAsync(CancellationToken cancellationToken)
        {
            TaskCompletionSource waiter;
            lock (this)
            {
                if (!_taken)
                {
                    _taken = true;
                    return ValueTask.CompletedTask;
                }

                cancellationToken.ThrowIfCancellationRequested();
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                (_waiters ??= new()).Enqueue(waiter);
            }

            return WaitInTurnAsync(waiter, cancellationToken);
        }

        /// <summary>Hands the gate to the oldest waiter still waiting, or frees it.</summary>
        public void Release()
        {
            lock (this)
            {
                while (_waiters is { Count: > 0 } waiters)
                {
                    // A waiter that gave up (cancelled) refuses the hand-over: try the next one.
                    if (waiters.Dequeue().TrySetResult())
                    {
                        return;
                    }
                }

                _taken = false;
            }
        }

        private static async ValueTask WaitInTurnAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
        {
            using (cancellationToken.UnsafeRegister(static (w, token) => ((TaskCompletionSource)w!).TrySetCanceled(token), waiter))
            {
                await waiter.Task.ConfigureAwait(false);
            }
        }
    }
}
