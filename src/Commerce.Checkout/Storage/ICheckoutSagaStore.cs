using Commerce.Inventory;

namespace Commerce.Checkout.Storage;

/// <summary>
/// The storage seam of the checkout saga: the saga's progress, and the <em>local steps</em> (the stock reservation and
/// the order) that run together with a progress write. A store groups those steps so that a database holding the
/// saga, the stock and the orders can run each group in one transaction, in one round trip where it can; the PSP is
/// never called inside any of these methods.
/// </summary>
/// <remarks>
/// <para><b>The three local-step groups.</b> Each takes the saga as it should be after the group (the next
/// <see cref="CheckoutSaga.Version"/>, the new <see cref="CheckoutSaga.Step"/>), and the store derives the inventory and
/// ordering commands from it with <see cref="CheckoutSagas"/>:</para>
/// <list type="bullet">
/// <item><see cref="BeginAsync"/>: claim the idempotency key, reserve the stock, place the order, record the saga at
/// <see cref="CheckoutStep.OrderPlaced"/>.</item>
/// <item><see cref="ConfirmAsync"/>: commit the reservation, mark the order paid, record <see cref="CheckoutStep.Paid"/>
/// (or whatever step the caller passes).</item>
/// <item><see cref="CompensateAsync"/>: release the reservation, cancel the order, record the failure.</item>
/// </list>
/// <para><b>Atomic stores</b> (PostgreSQL with the inventory and ordering tables in the same database) run each group
/// all-or-nothing: a group either happened entirely, with its saga write, or not at all. <b>Composing stores</b> (the
/// in-memory store, which calls <see cref="InventoryService"/> and <see cref="Ordering.OrderService"/>) run the steps one after
/// another; they must record the saga at <see cref="CheckoutStep.Started"/> <em>before</em> reserving, so that a crash
/// inside a group leaves a saga the recovery worker finds. Every step is idempotent by the ids in the saga (reservation
/// id, order id with fixed command ids), so the recovery worker simply calls the same group again with the same saga,
/// and a store must accept that: re-running a group whose steps already happened repeats none of them.</para>
/// <para><b>Concurrency.</b> Every saga write is conditional: it applies only if the stored saga is at
/// <c>saga.Version - 1</c> (for <see cref="BeginAsync"/>: no saga has the key and the saga is at version 1, or the
/// key's saga is at <see cref="CheckoutStep.Started"/> with the same id and at <c>saga.Version - 1</c>). Losing that race is an answer
/// (<see cref="SagaWriteStatus.VersionConflict"/> with the stored saga), never an exception. In an atomic store a lost
/// race rolls the group's other steps back too. A composing store cannot roll back, but the steps it ran are the same
/// idempotent steps the winner ran (or will run), so nothing is done twice; when the winner failed the saga, the
/// caller compensates again.</para>
/// <para>Implementations: <see cref="InMemory.InMemoryCheckoutSagaStore"/> here and the PostgreSQL store in
/// Commerce.PostgreSql. Both pass the conformance suite in <c>tests/Commerce.Checkout.Conformance</c>.</para>
/// </remarks>
public interface ICheckoutSagaStore
{
    /// <summary>
    /// Starts a checkout: if a saga already has <c>saga.IdempotencyKey</c> (at any step other than a
    /// <see cref="CheckoutStep.Started"/> saga with the same id, which is resumed), returns it and changes nothing;
    /// otherwise reserves every line (<see cref="CheckoutSagas.ToReservation"/>) all or nothing, places the order
    /// (<see cref="CheckoutSagas.ToPlaceOrder"/>) and records <paramref name="saga"/> (Version 1, Step
    /// <see cref="CheckoutStep.OrderPlaced"/>). When a line does not fit, nothing stays written (a composing store
    /// removes the saga it claimed) and the availability is returned.
    /// </summary>
    /// <exception cref="CommerceException"><c>inventory.unknown_sku</c> when a SKU has no stock record; nothing stays written.</exception>
    ValueTask<BeginResult> BeginAsync(CheckoutSaga saga, CancellationToken cancellationToken);

    /// <summary>
    /// After a successful authorization: commits the reservation, marks the order paid (with the payment id) and records
    /// <paramref name="saga"/>, conditionally on its version. Re-running it after it happened replays.
    /// </summary>
    /// <returns>
    /// <see cref="ConfirmStatus.Confirmed"/>; <see cref="ConfirmStatus.ReservationLost"/> when the reservation expired
    /// or was released (nothing written); <see cref="ConfirmStatus.OrderUnavailable"/> when the order can no longer be
    /// paid (nothing written; a composing store that had already committed the stock puts it back on hand);
    /// <see cref="ConfirmStatus.VersionConflict"/> with the stored saga.
    /// </returns>
    ValueTask<ConfirmResult> ConfirmAsync(CheckoutSaga saga, CancellationToken cancellationToken);

    /// <summary>
    /// Compensates the local steps: releases the reservation if it is still active (an unknown, expired or released
    /// one is fine), cancels the order if it exists and is not cancelled, and records <paramref name="saga"/>
    /// (normally <see cref="CheckoutStep.Compensated"/> with its failure), conditionally on its version.
    /// </summary>
    ValueTask<SagaWriteResult> CompensateAsync(CheckoutSaga saga, CancellationToken cancellationToken);

    /// <summary>Records <paramref name="saga"/> if the stored saga is at <c>saga.Version - 1</c>; progress only, no local step.</summary>
    ValueTask<SagaWriteResult> UpdateAsync(CheckoutSaga saga, CancellationToken cancellationToken);

    /// <summary>Returns a saga by checkout id, or null.</summary>
    ValueTask<CheckoutSaga?> GetAsync(CheckoutId id, CancellationToken cancellationToken);

    /// <summary>Returns the saga started under an idempotency key, or null.</summary>
    ValueTask<CheckoutSaga?> FindByKeyAsync(IdempotencyKey key, CancellationToken cancellationToken);

    /// <summary>Returns the saga that placed an order, or null.</summary>
    ValueTask<CheckoutSaga?> FindByOrderAsync(OrderId orderId, CancellationToken cancellationToken);

    /// <summary>
    /// Returns up to <paramref name="maxCount"/> sagas the recovery worker should drive: <see cref="CheckoutSaga.NeedsDriving"/>
    /// and <see cref="CheckoutSaga.LeaseExpiresAt"/> at or before <paramref name="now"/>, earliest lease first.
    /// </summary>
    ValueTask<IReadOnlyList<CheckoutSaga>> ListDueAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken);
}

/// <summary>How <see cref="ICheckoutSagaStore.BeginAsync"/> ended.</summary>
public enum BeginStatus
{
    /// <summary>Stock reserved, order placed, saga recorded at <see cref="CheckoutStep.OrderPlaced"/>.</summary>
    Begun = 1,

    /// <summary>A saga already had the key; it is returned and nothing changed (the caller checks the fingerprint).</summary>
    Existing = 2,

    /// <summary>At least one line did not fit; nothing is written.</summary>
    InsufficientStock = 3,
}

/// <summary>The outcome of <see cref="ICheckoutSagaStore.BeginAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Saga">The recorded saga (<see cref="BeginStatus.Begun"/>) or the key's saga (<see cref="BeginStatus.Existing"/>); null otherwise.</param>
/// <param name="Availability">On <see cref="BeginStatus.InsufficientStock"/>: every line with what it asked for and what was available.</param>
public readonly record struct BeginResult(BeginStatus Status, CheckoutSaga? Saga, IReadOnlyList<LineAvailability>? Availability = null);

/// <summary>How <see cref="ICheckoutSagaStore.ConfirmAsync"/> ended.</summary>
public enum ConfirmStatus
{
    /// <summary>Reservation committed, order paid, saga recorded (or all of it had happened before).</summary>
    Confirmed = 1,

    /// <summary>The reservation expired or was released before it could be committed; nothing written.</summary>
    ReservationLost = 2,

    /// <summary>The order cannot be marked paid (cancelled meanwhile); nothing written, any committed stock put back.</summary>
    OrderUnavailable = 3,

    /// <summary>The stored saga is not at <c>saga.Version - 1</c>; <see cref="ConfirmResult.Current"/> is the stored one.</summary>
    VersionConflict = 4,
}

/// <summary>The outcome of <see cref="ICheckoutSagaStore.ConfirmAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Current">The saga as stored now (the written one when confirmed; null only if the saga does not exist).</param>
public readonly record struct ConfirmResult(ConfirmStatus Status, CheckoutSaga? Current);

/// <summary>Whether a conditional saga write applied.</summary>
public enum SagaWriteStatus
{
    /// <summary>Written.</summary>
    Written = 1,

    /// <summary>Not written: the stored saga is at another version (or missing); <see cref="SagaWriteResult.Current"/> is the stored one.</summary>
    VersionConflict = 2,
}

/// <summary>The outcome of a conditional saga write.</summary>
/// <param name="Status">Written or not.</param>
/// <param name="Current">The saga as stored now (null if none).</param>
public readonly record struct SagaWriteResult(SagaWriteStatus Status, CheckoutSaga? Current)
{
    /// <summary>Whether it was written.</summary>
    public bool IsWritten => Status == SagaWriteStatus.Written;
}
