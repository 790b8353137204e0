using System.Text.Json;
using Commerce.Events;
using Commerce.Ordering.Diagnostics;
using Commerce.Ordering.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Ordering.Conformance;

/// <summary>
/// The behaviour every <see cref="IOrderStore"/> must have. A provider's test class derives from this and only says
/// how to build a store and find its outbox; every test here then runs against it.
/// </summary>
public abstract partial class OrderStoreConformance : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];
    private int _commandSequence;

    /// <summary>The clock the service and the store read.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The service under test, over a fresh store.</summary>
    protected OrderService Orders { get; private set; } = null!;

    /// <summary>The store under test.</summary>
    protected IOrderStore Store { get; private set; } = null!;

    /// <summary>The store's outbox.</summary>
    protected IOutboxStore Outbox { get; private set; } = null!;

    /// <summary>How many random cases each property test runs; lower for stores with a network round trip.</summary>
    protected virtual int PropertyIterations => 100;

    /// <summary>Builds a fresh, empty store that records events. Register anything to clean up with <see cref="RegisterForDispose"/>.</summary>
    protected abstract ValueTask<IOrderStore> CreateStoreAsync(TimeProvider timeProvider);

    /// <summary>The outbox the store writes its events to.</summary>
    protected abstract IOutboxStore GetOutbox(IOrderStore store);

    /// <summary>Registers something to dispose after the test.</summary>
    protected void RegisterForDispose(IAsyncDisposable disposable) => _disposables.Add(disposable);

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync()
    {
        Store = await CreateStoreAsync(Time);
        Outbox = GetOutbox(Store);
        Orders = new OrderService(new InterleavingOrderStore(Store), new OrderingOptions(), Time, new OrderingMetrics());
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected static Money Usd(long cents) => new(cents, Currency.USD);

    protected static OrderLine Line(string sku, string seller, long quantity = 1, long unitPrice = 1_000) =>
        new(new Sku(sku), new SellerId(seller), quantity, Usd(unitPrice));

    protected CommandId NextCommandId() => new($"cmd-{Interlocked.Increment(ref _commandSequence)}");

    protected PlaceOrder Placement(string orderId, string buyer, params OrderLine[] lines) =>
        new(new OrderId(orderId), NextCommandId(), "checkout", new BuyerId(buyer), lines);

    /// <summary>Places an order with one line per seller (sku-1, sku-2, ... at 10.00 each) and checks it applied.</summary>
    protected async Task<Order> PlaceAsync(string orderId, string buyer = "buyer-1", params string[] sellers)
    {
        var lines = (sellers.Length == 0 ? ["seller-a"] : sellers).Select((s, i) => Line($"sku-{i + 1}", s)).ToArray();
        return Applied(await Orders.ExecuteAsync(Placement(orderId, buyer, lines)));
    }

    /// <summary>Places and pays an order.</summary>
    protected async Task<Order> PlacePaidAsync(string orderId, params string[] sellers)
    {
        await PlaceAsync(orderId, "buyer-1", sellers);
        return await ApplyAsync(new MarkPaid(new OrderId(orderId), NextCommandId(), "checkout"));
    }

    /// <summary>Runs a command that must apply.</summary>
    protected async Task<Order> ApplyAsync(OrderCommand command) => Applied(await Orders.ExecuteAsync(command));

    protected static Order Applied(OrderResult result)
    {
        Assert.True(result.IsSuccess, $"expected success, got {result}");
        Assert.False(result.IsReplay, "expected a fresh change, got a replay");
        return result.Order!;
    }

    /// <summary>Starts every action on the thread pool and releases them at once, so that they race.</summary>
    protected static async Task<T[]> RunTogetherAsync<T>(IEnumerable<Func<Task<T>>> actions)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = actions.Select(action => Task.Run(async () =>
        {
            await start.Task;
            return await action();
        })).ToArray();
        start.SetResult();
        return await Task.WhenAll(running);
    }

    /// <summary>Claims and acknowledges everything in the outbox, oldest first.</summary>
    protected async Task<List<EventEnvelope>> DrainOutboxAsync()
    {
        var drained = new List<EventEnvelope>();
        while (true)
        {
            var batch = await Outbox.ClaimAsync(1_000, TimeSpan.FromMinutes(1), CancellationToken.None);
            if (batch.Count == 0)
            {
                return drained;
            }

            drained.AddRange(batch.Select(m => m.Event));
            await Outbox.MarkPublishedAsync(batch, CancellationToken.None);
        }
    }

    protected static OrderEventPayload Payload(EventEnvelope envelope) =>
        JsonSerializer.Deserialize(envelope.Payload.Span, OrderingJsonContext.Default.OrderEventPayload)!;

    /// <summary>Asserts that nothing about an order changed: same order, same history, nothing new in the outbox.</summary>
    protected async Task AssertUnchangedAsync(Order? before, string orderId)
    {
        var after = await Store.GetAsync(new OrderId(orderId), CancellationToken.None);
        Assert.Equal(before, after);
        var history = await Store.ReadHistoryAsync(new OrderId(orderId), CancellationToken.None);
        Assert.Equal(before?.Version ?? 0, history.Count);
        Assert.Empty(await DrainOutboxAsync());
    }

    /// <summary>Asserts that an action throws a <see cref="CommerceException"/> with the given code.</summary>
    protected static async Task<CommerceException> AssertErrorAsync(string code, Func<Task> action)
    {
        var exception = await Assert.ThrowsAnyAsync<CommerceException>(action);
        Assert.Equal(code, exception.Code);
        return exception;
    }
}
