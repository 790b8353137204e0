using BenchmarkDotNet.Attributes;
using Commerce.Inventory;

namespace Commerce.Benchmarks;

/// <summary>
/// Single-threaded cost of the public facade (<see cref="InventoryService"/>) over the in-memory store: validation,
/// fingerprinting, the store's locking and bookkeeping, and the result. Every invocation uses a fresh reservation id
/// from a pool built once in <see cref="GlobalSetup"/>, so the benchmark itself allocates nothing; every iteration
/// starts on a fresh store holding a billion units per SKU, so the success path is what is measured and the store
/// does not grow without bound across iterations. A replay or a refusal where a success was expected throws.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(InvocationsPerIteration)]
public class ReserveBenchmarks
{
    /// <summary>An [IterationSetup] needs an explicit invocation count; a multiple of the default unroll factor (16).</summary>
    private const int InvocationsPerIteration = 1 << 16;
    private const int MultiLineCount = 5;
    private const long Plenty = 1_000_000_000;

    private static readonly Sku SingleSku = new("single");
    private static readonly Sku CommitSku = new("commit");
    private static readonly Sku SoldOutSku = new("sold-out");
    private static readonly Sku[] MultiSkus = [.. Enumerable.Range(0, MultiLineCount).Select(i => new Sku($"multi-{i}"))];

    private ReservationRequest[] _single = [];
    private ReservationRequest[] _multi = [];
    private ReservationRequest[] _toCommit = [];
    private ReservationRequest _soldOut = null!;
    private InventoryService _inventory = null!;
    private int _next;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _single = Pool("single", [new ReservationLine(SingleSku, 1)]);
        _multi = Pool("multi", [.. MultiSkus.Select(sku => new ReservationLine(sku, 1))]);
        _toCommit = Pool("commit", [new ReservationLine(CommitSku, 1)]);
        _soldOut = new ReservationRequest(new ReservationId("sold-out"), [new ReservationLine(SoldOutSku, 1)]);
    }

    [IterationSetup]
    public void IterationSetup()
    {
        _inventory = InventoryService.CreateInMemory();
        foreach (var sku in MultiSkus.Append(SingleSku).Append(CommitSku))
        {
            Adjust(sku, Plenty);
        }

        // A known SKU with nothing on hand: receive one unit, then write it off.
        Adjust(SoldOutSku, 1);
        Adjust(SoldOutSku, -1);
        _next = 0;
    }

    [Benchmark(Baseline = true, Description = "Reserve 1 line")]
    public ReservationResult ReserveOneLine() => Succeeded(_inventory.ReserveAsync(_single[_next++]));

    [Benchmark(Description = "Reserve 5 lines")]
    public ReservationResult ReserveFiveLines() => Succeeded(_inventory.ReserveAsync(_multi[_next++]));

    [Benchmark(Description = "Reserve 1 line + commit")]
    public ReservationResult ReserveAndCommit()
    {
        var request = _toCommit[_next++];
        Succeeded(_inventory.ReserveAsync(request));
        return Succeeded(_inventory.CommitAsync(request.Id));
    }

    [Benchmark(Description = "Reserve, sold out")]
    public ReservationResult ReserveSoldOut()
    {
        var result = Completed(_inventory.ReserveAsync(_soldOut));
        return result.IsSuccess ? throw new InvalidOperationException("The sold-out SKU had stock.") : result;
    }

    private static ReservationRequest[] Pool(string prefix, ReservationLine[] lines)
    {
        var pool = new ReservationRequest[InvocationsPerIteration];
        for (var i = 0; i < pool.Length; i++)
        {
            pool[i] = new ReservationRequest(new ReservationId($"{prefix}-{i}"), lines);
        }

        return pool;
    }

    private void Adjust(Sku sku, long quantity) =>
        Completed(_inventory.AdjustStockAsync(new StockAdjustment(sku, quantity, "benchmark", new IdempotencyKey($"{sku}-{quantity}"))));

    /// <summary>The in-memory store completes synchronously; this never blocks.</summary>
    internal static T Completed<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    internal static ReservationResult Succeeded(ValueTask<ReservationResult> pending)
    {
        var result = Completed(pending);
        return result is { IsSuccess: true, IsReplay: false } ? result : throw new InvalidOperationException($"Expected a fresh success, got {result}.");
    }
}
