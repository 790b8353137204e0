using Commerce.Ordering.Storage;

namespace Commerce.Ordering.Conformance;

/// <summary>
/// Passes every call to the store under test, but yields between a command's read and its append, so that concurrent
/// writers really interleave there even on a store that answers synchronously (the in-memory one): races that a store
/// must survive happen in every run instead of once in a while.
/// </summary>
internal sealed class InterleavingOrderStore(IOrderStore inner) : IOrderStore
{
    public ValueTask<LoadedOrder> LoadAsync(OrderId orderId, CommandId commandId, CancellationToken cancellationToken) =>
        inner.LoadAsync(orderId, commandId, cancellationToken);

    public async ValueTask<AppendResult> AppendAsync(OrderAppend append, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return await inner.AppendAsync(append, cancellationToken);
    }

    public ValueTask<Order?> GetAsync(OrderId orderId, CancellationToken cancellationToken) => inner.GetAsync(orderId, cancellationToken);

    public ValueTask<IReadOnlyList<OrderEvent>> ReadHistoryAsync(OrderId orderId, CancellationToken cancellationToken) =>
        inner.ReadHistoryAsync(orderId, cancellationToken);

    public ValueTask<IReadOnlyList<Order>> ListByBuyerAsync(BuyerId buyer, OrderCursor? after, int limit, CancellationToken cancellationToken) =>
        inner.ListByBuyerAsync(buyer, after, limit, cancellationToken);

    public ValueTask<IReadOnlyList<Order>> ListBySellerAsync(SellerId seller, OrderState? state, OrderCursor? after, int limit, CancellationToken cancellationToken) =>
        inner.ListBySellerAsync(seller, state, after, limit, cancellationToken);
}
