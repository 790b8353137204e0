using BenchmarkDotNet.Attributes;
using Commerce.Checkout;
using Commerce.Checkout.InMemory;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;
using Commerce.Payments.InMemory;
using Commerce.Payments.Providers.Simulated;
using Commerce.Payments.Routing;
using Microsoft.Extensions.Options;

namespace Commerce.Benchmarks.Checkout;

/// <summary>
/// One checkout end to end on the in-memory stores with the simulated PSP at zero latency (everything completes
/// synchronously), single thread: admission, price check, fingerprint, reserve + place order + saga record, authorize,
/// commit + mark paid + saga, capture + saga. The breakdown benchmarks run the same downstream calls directly, so the
/// saga's own overhead is the end-to-end figure less their sum. Every iteration starts on fresh engines with 1,000
/// SKUs of a billion units (uniform picks), and each invocation uses a request built in setup.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(InvocationsPerIteration)]
public class CheckoutBenchmarks
{
    private const int InvocationsPerIteration = 1 << 14;
    private const int Skus = 1_000;
    private static readonly Money Price = new(1_999, Currency.USD);

    private CheckoutRequest[] _requests = [];
    private ReservationRequest[] _reservations = [];
    private PlaceOrder[] _placements = [];
    private MarkPaid[] _paid = [];
    private AuthorizePaymentRequest[] _authorizations = [];
    private CapturePaymentRequest[] _captures = [];
    private Sku[] _skus = [];
    private InventoryService _inventory = null!;
    private OrderService _orders = null!;
    private PaymentService _payments = null!;
    private CheckoutService _checkout = null!;
    private int _next;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _skus = [.. Enumerable.Range(0, Skus).Select(i => new Sku($"sku-{i}"))];
        _requests = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i => new CheckoutRequest(
            new IdempotencyKey($"key-{i}"), new BuyerId($"buyer-{i}"), [new CheckoutLine(_skus[i % Skus], 1, Price)], Currency.USD, SimulatedPaymentProvider.SuccessToken))];
        _reservations = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i => new ReservationRequest(new ReservationId($"r-{i}"), [new ReservationLine(_skus[i % Skus], 1)]))];
        _placements = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i => new PlaceOrder(
            new OrderId($"o-{i}"), new CommandId("place"), "bench", new BuyerId($"buyer-{i}"), [new OrderLine(_skus[i % Skus], new SellerId("seller"), 1, Price)]))];
        _paid = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i => new MarkPaid(new OrderId($"o-{i}"), new CommandId("paid"), "bench"))];
        _authorizations = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i => new AuthorizePaymentRequest(
            new PaymentId($"p-{i}"), new IdempotencyKey($"p-{i}:a"), Price, SimulatedPaymentProvider.SuccessToken) { Splits = [new SellerShare(new SellerId("seller"), Price)] })];
        _captures = [.. Enumerable.Range(0, InvocationsPerIteration).Select(i => new CapturePaymentRequest(new PaymentId($"p-{i}"), new IdempotencyKey($"p-{i}:c"), Price, IsFinal: true))];
    }

    [IterationSetup(Targets = [nameof(Checkout), nameof(SoldOut), nameof(InventoryReserveCommit), nameof(OrderingPlacePaid), nameof(PaymentsAuthorizeCapture), nameof(EnginesWithoutSaga)])]
    public void FreshEngines() => Build(CaptureMode.Immediate);

    [IterationSetup(Target = nameof(CheckoutCaptureOnShipment))]
    public void FreshEnginesOnShipment() => Build(CaptureMode.OnShipment);

    [Benchmark(Baseline = true, Description = "Checkout end to end (capture at once)")]
    public CheckoutResult Checkout() => Completed(_checkout.CheckoutAsync(_requests[_next++]));

    [Benchmark(Description = "Checkout end to end (capture on shipment)")]
    public CheckoutResult CheckoutCaptureOnShipment() => Completed(_checkout.CheckoutAsync(_requests[_next++]));

    [Benchmark(Description = "Sold out, refused by the gate")]
    public CheckoutResult SoldOut()
    {
        var result = Sync(_checkout.CheckoutAsync(_requests[0] with { Lines = [new CheckoutLine(new Sku("gone"), 1, Price)] }));
        return result.Error?.Code == CheckoutErrorCodes.SoldOut ? result : throw new InvalidOperationException("Expected a sold-out refusal.");
    }

    [Benchmark(Description = "Breakdown: inventory reserve + commit")]
    public ReservationResult InventoryReserveCommit()
    {
        var i = _next++;
        var reserved = Sync(_inventory.ReserveAsync(_reservations[i]));
        return Sync(_inventory.CommitAsync(reserved.Reservation!.Id));
    }

    [Benchmark(Description = "Breakdown: ordering place + mark paid")]
    public OrderResult OrderingPlacePaid()
    {
        var i = _next++;
        _ = Sync(_orders.ExecuteAsync(_placements[i]));
        return Sync(_orders.ExecuteAsync(_paid[i]));
    }

    [Benchmark(Description = "Breakdown: payments authorize + capture")]
    public PaymentResult PaymentsAuthorizeCapture()
    {
        var i = _next++;
        _ = Sync(_payments.AuthorizeAsync(_authorizations[i], CancellationToken.None));
        return Sync(_payments.CaptureAsync(_captures[i], CancellationToken.None));
    }

    [Benchmark(Description = "Breakdown: all six engine calls, no saga")]
    public PaymentResult EnginesWithoutSaga()
    {
        var i = _next++;
        var reserved = Sync(_inventory.ReserveAsync(_reservations[i]));
        _ = Sync(_orders.ExecuteAsync(_placements[i]));
        _ = Sync(_payments.AuthorizeAsync(_authorizations[i], CancellationToken.None));
        _ = Sync(_inventory.CommitAsync(reserved.Reservation!.Id));
        _ = Sync(_orders.ExecuteAsync(_paid[i]));
        return Sync(_payments.CaptureAsync(_captures[i], CancellationToken.None));
    }

    private void Build(CaptureMode mode)
    {
        _inventory = InventoryService.CreateInMemory();
        foreach (var sku in _skus)
        {
            _ = Sync(_inventory.AdjustStockAsync(new StockAdjustment(sku, 1_000_000_000, "seed", new IdempotencyKey($"seed-{sku}"))));
        }

        var gone = new Sku("gone");
        _ = Sync(_inventory.AdjustStockAsync(new StockAdjustment(gone, 1, "seed", new IdempotencyKey("seed-gone"))));
        _ = Sync(_inventory.ReserveAsync(new ReservationRequest(new ReservationId("hold-gone"), [new ReservationLine(gone, 1)])));
        _orders = OrderService.CreateInMemory();
        var routed = new RoutedProvider("simulated", new SimulatedPaymentProvider(), new PaymentProviderOptions(), TimeProvider.System);
        _payments = new PaymentService(new InMemoryPaymentStore(), new PaymentProviderRegistry([routed], []), Options.Create(new PaymentsOptions()), TimeProvider.System);
        var catalog = new InMemoryPriceCatalog();
        foreach (var sku in _skus)
        {
            catalog.Set(sku, new SellerId("seller"), Price);
        }

        catalog.Set(gone, new SellerId("seller"), Price);
        _checkout = new CheckoutService(
            new InMemoryCheckoutSagaStore(_inventory, _orders), _payments, catalog,
            Options.Create(new CheckoutOptions { CaptureMode = mode, BuyerPermitsPerSecond = null, SoldOutRecheckInterval = TimeSpan.FromHours(1) }),
            TimeProvider.System);

        // Teach the gate that "gone" is sold out (the store says so once).
        _ = Sync(_checkout.CheckoutAsync(_requests[0] with { IdempotencyKey = new IdempotencyKey("teach"), Lines = [new CheckoutLine(gone, 1, Price)] }));
        _next = 0;
    }

    private static T Sync<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("In memory at zero latency, every call completes synchronously.");

    private static CheckoutResult Completed(ValueTask<CheckoutResult> pending)
    {
        var result = pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("A zero-latency checkout completes synchronously.");
        return result.IsSuccess ? result : throw new InvalidOperationException(result.ToString());
    }
}
