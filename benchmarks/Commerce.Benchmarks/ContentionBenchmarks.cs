using BenchmarkDotNet.Attributes;
using Commerce.Inventory;

namespace Commerce.Benchmarks;

/// <summary>
/// Multi-threaded reservations through the facade over the in-memory store: <see cref="Threads"/> dedicated threads
/// share <see cref="ReservationsPerInvocation"/> reservations, either all on one SKU (contended: every reservation
/// takes the same row lock) or each thread on a SKU of its own (uncontended: only the shared reservation index and
/// ledger sequence are touched by everyone). Results are per reservation. The threads are started once and released
/// by a barrier for each invocation, so thread start-up is not measured; ids come from precomputed pools and every
/// iteration starts on a fresh store with a billion units per SKU.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(InvocationsPerIteration, 1)]
public class ContentionBenchmarks
{
    /// <summary>Reservations per invocation, split evenly between the threads.</summary>
    public const int ReservationsPerInvocation = 8_192;

    private const int InvocationsPerIteration = 16;
    private const long Plenty = 1_000_000_000;
    private static readonly Sku HotSku = new("hot");

    private ReservationRequest[][] _hot = [];
    private ReservationRequest[][] _own = [];
    private Sku[] _ownSkus = [];
    private InventoryService _inventory = null!;
    private Thread[] _threads = [];
    private Barrier _barrier = null!;
    private ReservationRequest[][] _work = [];
    private int _invocation;
    private volatile bool _stopping;
    private Exception? _failure;

    [Params(2, 8)]
    public int Threads { get; set; }

    private int PerThread => ReservationsPerInvocation / Threads;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _ownSkus = [.. Enumerable.Range(0, Threads).Select(t => new Sku($"own-{t}"))];
        var size = PerThread * InvocationsPerIteration;
        _hot = [.. Enumerable.Range(0, Threads).Select(t => Pool($"hot-{t}", new ReservationLine(HotSku, 1), size))];
        _own = [.. Enumerable.Range(0, Threads).Select(t => Pool($"own-{t}", new ReservationLine(_ownSkus[t], 1), size))];
        _barrier = new Barrier(Threads + 1);
        _threads = [.. Enumerable.Range(0, Threads).Select(t => new Thread(() => Worker(t)) { IsBackground = true, Name = $"reserver-{t}" })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _stopping = true;
        _barrier.SignalAndWait();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _barrier.Dispose();
    }

    [IterationSetup]
    public void IterationSetup()
    {
        _inventory = InventoryService.CreateInMemory();
        foreach (var sku in _ownSkus.Append(HotSku))
        {
            ReserveBenchmarks.Completed(_inventory.AdjustStockAsync(new StockAdjustment(sku, Plenty, "benchmark", new IdempotencyKey($"{sku}"))));
        }

        _invocation = 0;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ReservationsPerInvocation, Description = "Uncontended (a SKU per thread)")]
    public void Uncontended() => RunAll(_own);

    [Benchmark(OperationsPerInvoke = ReservationsPerInvocation, Description = "Contended (all threads, one SKU)")]
    public void Contended() => RunAll(_hot);

    private void RunAll(ReservationRequest[][] work)
    {
        _work = work;
        _barrier.SignalAndWait(); // start
        _barrier.SignalAndWait(); // every thread done
        _invocation++;
        if (_failure is { } failure)
        {
            throw new InvalidOperationException("A reserving thread failed.", failure);
        }
    }

    private void Worker(int thread)
    {
        while (true)
        {
            _barrier.SignalAndWait();
            if (_stopping)
            {
                return;
            }

            try
            {
                var requests = _work[thread];
                var first = _invocation * PerThread;
                for (var i = first; i < first + PerThread; i++)
                {
                    ReserveBenchmarks.Succeeded(_inventory.ReserveAsync(requests[i]));
                }
            }
            catch (Exception ex)
            {
                _failure = ex;
            }

            _barrier.SignalAndWait();
        }
    }

    private static ReservationRequest[] Pool(string prefix, ReservationLine line, int size)
    {
        ReservationLine[] lines = [line];
        var pool = new ReservationRequest[size];
        for (var i = 0; i < size; i++)
        {
            pool[i] = new ReservationRequest(new ReservationId($"{prefix}-{i}"), lines);
        }

        return pool;
    }
}
