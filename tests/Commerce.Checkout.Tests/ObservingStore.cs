using Commerce.Checkout.Storage;

namespace Commerce.Checkout.Tests;

/// <summary>
/// A saga store that passes every call through, counting the begins and key reads, and can hand one caller a stale
/// read of a saga by order (what a driver sees when another's write lands between its read and its own write).
/// </summary>
internal sealed class ObservingStore(ICheckoutSagaStore inner) : ICheckoutSagaStore
{
    private int _begins;
    private int _keyReads;

    public int Begins => _begins;

    public int KeyReads => _keyReads;

    private CheckoutSaga? _staleOrderRead;

    /// <summary>Returned, once, by the next <see cref="FindByOrderAsync"/> instead of the stored saga.</summary>
    public CheckoutSaga? StaleOrderRead
    {
        get => Volatile.Read(ref _staleOrderRead);
        set => Volatile.Write(ref _staleOrderRead, value);
    }

    public ValueTask<BeginResult> BeginAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _begins);
        return inner.BeginAsync(saga, cancellationToken);
    }

    public ValueTask<ConfirmResult> ConfirmAsync(CheckoutSaga saga, CancellationToken cancellationToken) => inner.ConfirmAsync(saga, cancellationToken);

    public ValueTask<SagaWriteResult> CompensateAsync(CheckoutSaga saga, CancellationToken cancellationToken) => inner.CompensateAsync(saga, cancellationToken);

    public ValueTask<SagaWriteResult> UpdateAsync(CheckoutSaga saga, CancellationToken cancellationToken) => inner.UpdateAsync(saga, cancellationToken);

    public ValueTask<CheckoutSaga?> GetAsync(CheckoutId id, CancellationToken cancellationToken) => inner.GetAsync(id, cancellationToken);

    public ValueTask<CheckoutSaga?> FindByKeyAsync(IdempotencyKey key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _keyReads);
        return inner.FindByKeyAsync(key, cancellationToken);
    }

    public ValueTask<CheckoutSaga?> FindByOrderAsync(OrderId orderId, CancellationToken cancellationToken) =>
        Interlocked.Exchange(ref _staleOrderRead, null) is { } stale ? new(stale) : inner.FindByOrderAsync(orderId, cancellationToken);

    public ValueTask<IReadOnlyList<CheckoutSaga>> ListDueAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken) =>
        inner.ListDueAsync(now, maxCount, cancellationToken);
}
