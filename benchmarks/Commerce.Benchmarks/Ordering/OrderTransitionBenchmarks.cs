using BenchmarkDotNet.Attributes;
using Commerce.Ordering;
using Commerce.Ordering.Diagnostics;
using Commerce.Ordering.InMemory;

namespace Commerce.Benchmarks.Ordering;

/// <summary>
/// Single-threaded cost of order commands through <see cref="OrderService"/> over the in-memory store with its outbox
/// on (as in a host with a publisher; nothing drains it during an iteration): validation, the command fingerprint
/// (SHA-256), the read, the decision against the state machine, the new immutable order, the conditional append, the
/// history entry and the outbox message. Every iteration starts on a fresh store holding
/// <see cref="InvocationsPerIteration"/> placed orders; every invocation uses its own order and a command built in
/// <see cref="GlobalSetup"/>, so the benchmark allocates nothing of its own. An unexpected outcome throws.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(InvocationsPerIteration)]
public class OrderTransitionBenchmarks
{
    private const int InvocationsPerIteration = 1 << 14;

    private PlaceOrder[] _placed = [];
    private PlaceOrder[] _fresh = [];
    private MarkPaid[] _pay = [];
    private MarkPaid[] _payFresh = [];
    private ShipFulfilment[] _shipFresh = [];
    private DeliverFulfilment[] _deliverFresh = [];
    private ShipFulfilment[] _shipUnpaid = [];
    private OrderService _orders = null!;
    private int _next;

    [GlobalSetup]
    public void GlobalSetup()
    {
        var seller = new SellerId("seller-1");
        PlaceOrder Place(string id) => new(new OrderId(id), new CommandId($"{id}-place"), "checkout", new BuyerId("buyer-1"),
            [new OrderLine(new Sku("sku-1"), seller, 2, new Money(1_999, Currency.USD))])
        { Shipping = new Money(499, Currency.USD) };
        _placed = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i => Place($"placed-{i}"))];
        _fresh = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i => Place($"fresh-{i}"))];
        _pay = [.. _placed.Select(p => new MarkPaid(p.OrderId, new CommandId($"{p.OrderId}-pay"), "psp"))];
        _payFresh = [.. _fresh.Select(p => new MarkPaid(p.OrderId, new CommandId($"{p.OrderId}-pay"), "psp"))];
        _shipFresh = [.. _fresh.Select(p => new ShipFulfilment(p.OrderId, new CommandId($"{p.OrderId}-ship"), "seller-1", seller, "TRACK-1"))];
        _deliverFresh = [.. _fresh.Select(p => new DeliverFulfilment(p.OrderId, new CommandId($"{p.OrderId}-deliver"), "carrier", seller))];
        _shipUnpaid = [.. _placed.Select(p => new ShipFulfilment(p.OrderId, new CommandId($"{p.OrderId}-ship-unpaid"), "seller-1", seller, "TRACK-1"))];
    }

    [IterationSetup]
    public void IterationSetup()
    {
        _orders = new OrderService(new InMemoryOrderStore(recordEvents: true), new OrderingOptions(), TimeProvider.System, new OrderingMetrics());
        foreach (var place in _placed)
        {
            Applied(_orders.ExecuteAsync(place));
        }

        _next = 0;
    }

    [Benchmark(Baseline = true, Description = "Mark paid (1 transition)")]
    public OrderResult MarkPaid() => Applied(_orders.ExecuteAsync(_pay[_next++]));

    [Benchmark(Description = "Place (1 line)")]
    public OrderResult Place() => Applied(_orders.ExecuteAsync(_fresh[_next++]));

    [Benchmark(Description = "Place, pay, ship, deliver (4 transitions)")]
    public OrderResult Lifecycle()
    {
        var i = _next++;
        Applied(_orders.ExecuteAsync(_fresh[i]));
        Applied(_orders.ExecuteAsync(_payFresh[i]));
        Applied(_orders.ExecuteAsync(_shipFresh[i]));
        return Applied(_orders.ExecuteAsync(_deliverFresh[i]));
    }

    [Benchmark(Description = "Replay of an applied command")]
    public OrderResult Replay()
    {
        var result = Completed(_orders.ExecuteAsync(_placed[_next++]));
        return result.IsReplay ? result : throw new InvalidOperationException($"Expected a replay, got {result}.");
    }

    [Benchmark(Description = "Refused: ship an unpaid order")]
    public OrderResult Refused()
    {
        var result = Completed(_orders.ExecuteAsync(_shipUnpaid[_next++]));
        return result.Error?.Code == OrderingErrorCodes.InvalidTransition ? result : throw new InvalidOperationException($"Expected a refusal, got {result}.");
    }

    /// <summary>The in-memory store completes synchronously; this never blocks.</summary>
    private static OrderResult Completed(ValueTask<OrderResult> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private static OrderResult Applied(ValueTask<OrderResult> pending)
    {
        var result = Completed(pending);
        return result is { IsSuccess: true, IsReplay: false } ? result : throw new InvalidOperationException($"Expected a fresh change, got {result}.");
    }
}
