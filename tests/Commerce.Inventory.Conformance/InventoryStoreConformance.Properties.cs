using FsCheck;
using FsCheck.Fluent;

namespace Commerce.Inventory.Conformance;

/// <summary>
/// Property tests: random sequences of reserve, commit, release, extend, expire, adjust and replays, run in
/// concurrent rounds, must keep the invariants after every round.
/// </summary>
public abstract partial class InventoryStoreConformance
{
    private const int PropertySkus = 3;
    private const int PropertySlots = 8;
    private int _propertyCase;

    [Fact]
    public void Random_concurrent_operations_never_oversell_and_the_ledger_always_rebuilds_the_stock()
    {
        var property = Prop.ForAll(Arb.From(CaseGen()), scenario =>
            Task.Run(() => RunScenarioAsync(scenario)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(PropertyIterations), property);
    }

    private static Gen<Scenario> CaseGen()
    {
        var line = from sku in Gen.Choose(0, PropertySkus - 1)
                   from qty in Gen.Choose(1, 4)
                   select (Sku: sku, Qty: qty);
        var reserve = from slot in Gen.Choose(0, PropertySlots - 1)
                      from lines in Gen.NonEmptyListOf(line).Select(ls => ls.DistinctBy(l => l.Sku).Take(3).ToArray())
                      from ttl in Gen.Choose(1, 20)
                      select (Op)new ReserveOp(slot, lines, ttl);
        var slotGen = Gen.Choose(0, PropertySlots - 1);
        var op = Gen.Frequency(
            (6, reserve),
            (3, slotGen.Select(s => (Op)new CommitOp(s))),
            (2, slotGen.Select(s => (Op)new ReleaseOp(s))),
            (1, from s in slotGen from m in Gen.Choose(1, 20) select (Op)new ExtendOp(s, m)),
            (2, Gen.Choose(1, 12).Select(m => (Op)new ExpireOp(m))),
            (3, from k in Gen.Choose(0, 5) from s in Gen.Choose(0, PropertySkus - 1) from d in Gen.Choose(-6, 8).Where(d => d != 0) select (Op)new AdjustOp(k, s, d)));
        return from stock in Gen.ArrayOf(Gen.Choose(0, 12), PropertySkus)
               from ops in Gen.ListOf(op, 40).Select(o => o.ToArray()).Where(o => o.Length > 0)
               from roundSize in Gen.Choose(1, 6)
               select new Scenario(stock, ops, roundSize);
    }

    private async Task<bool> RunScenarioAsync(Scenario scenario)
    {
        var prefix = $"p{Interlocked.Increment(ref _propertyCase)}";
        string Sku(int i) => $"{prefix}-s{i}";
        ReservationId Slot(int s) => new($"{prefix}-r{s}");
        var attempted = new System.Collections.Concurrent.ConcurrentDictionary<int, System.Collections.Concurrent.ConcurrentBag<string>>();
        // The first accepted body of each adjustment key: a replay must not apply it again.
        var adjustments = new System.Collections.Concurrent.ConcurrentDictionary<int, (int Sku, int Delta)>();

        for (var i = 0; i < PropertySkus; i++)
        {
            if (scenario.Stock[i] > 0)
            {
                await ReceiveAsync(Sku(i), scenario.Stock[i]);
            }
            else
            {
                await Inventory.SetOnHandAsync(new StockCount(new Sku(Sku(i)), 0, "created empty", new IdempotencyKey($"{prefix}-empty-{i}")));
            }
        }

        foreach (var round in scenario.Ops.Chunk(scenario.RoundSize))
        {
            await Task.WhenAll(round.Select(op => Task.Run(() => ApplyAsync(op))));
            await AssertInvariantsAsync();
        }

        return true;

        async Task ApplyAsync(Op op)
        {
            try
            {
                switch (op)
                {
                    case ReserveOp r:
                        var body = string.Join(",", r.Lines.Select(l => $"{l.Sku}x{l.Qty}")) + $"/{r.TtlMinutes}";
                        attempted.GetOrAdd(r.Slot, _ => []).Add(body);
                        var request = new ReservationRequest(Slot(r.Slot), r.Lines.Select(l => new ReservationLine(new Sku(Sku(l.Sku)), l.Qty)).ToArray())
                        {
                            Ttl = TimeSpan.FromMinutes(r.TtlMinutes),
                        };
                        var before = await Inventory.GetReservationAsync(Slot(r.Slot));
                        var result = await Inventory.ReserveAsync(request);
                        if (before is not null && result.IsSuccess)
                        {
                            Assert.True(result.IsReplay, "a second reserve of a stored id must be a replay");
                        }

                        break;
                    case CommitOp c:
                        await Inventory.CommitAsync(Slot(c.Slot));
                        break;
                    case ReleaseOp r:
                        await Inventory.ReleaseAsync(Slot(r.Slot));
                        break;
                    case ExtendOp e:
                        await Inventory.ExtendAsync(Slot(e.Slot), TimeSpan.FromMinutes(e.Minutes));
                        break;
                    case ExpireOp x:
                        Time.Advance(TimeSpan.FromMinutes(x.Minutes));
                        while (await Inventory.ExpireDueReservationsAsync() > 0)
                        {
                        }

                        break;
                    case AdjustOp a:
                        var change = await Inventory.AdjustStockAsync(new StockAdjustment(new Sku(Sku(a.Sku)), a.Delta, "property", new IdempotencyKey($"{prefix}-adj-{a.Key}")));
                        // Whichever copy records first, the bodies agree; applying a key twice shows in the on-hand model below.
                        Assert.Equal((a.Sku, a.Delta), adjustments.GetOrAdd(a.Key, (a.Sku, a.Delta)));

                        break;
                }
            }
            catch (CommerceException ex) when (ex.Code is InventoryErrorCodes.ReservationNotFound
                                                   or InventoryErrorCodes.IdempotencyKeyReused
                                                   or InventoryErrorCodes.InvalidAdjustment)
            {
                // Expected refusals of a random sequence; the invariants below decide whether the store stayed right.
            }
        }

        async Task AssertInvariantsAsync()
        {
            var held = new long[PropertySkus];
            var sold = new long[PropertySkus];
            for (var s = 0; s < PropertySlots; s++)
            {
                var reservation = await Inventory.GetReservationAsync(Slot(s));
                if (reservation is null)
                {
                    continue;
                }

                var body = string.Join(",", reservation.Lines.Select(l => $"{l.Sku.Value[(prefix.Length + 2)..]}x{l.Quantity}"));
                Assert.Contains(attempted[s], a => a.StartsWith(body + "/", StringComparison.Ordinal));
                foreach (var line in reservation.Lines)
                {
                    var index = int.Parse(line.Sku.Value[(prefix.Length + 2)..], System.Globalization.CultureInfo.InvariantCulture);
                    if (reservation.State == ReservationState.Active)
                    {
                        held[index] += line.Quantity;
                    }
                    else if (reservation.State == ReservationState.Committed)
                    {
                        sold[index] += line.Quantity;
                    }
                }
            }

            for (var i = 0; i < PropertySkus; i++)
            {
                var level = await StockAsync(Sku(i));
                Assert.True(level.OnHand >= 0, $"{level}: on hand below zero");
                Assert.True(level.Available >= 0, $"{level}: oversold without backorder");
                Assert.Equal(held[i], level.Reserved);
                var adjusted = adjustments.Values.Where(a => a.Sku == i).Sum(a => (long)a.Delta);
                Assert.Equal(scenario.Stock[i] + adjusted - sold[i], level.OnHand);

                var movements = await Inventory.ReadMovementsAsync(new Sku(Sku(i))).ToListAsync();
                var received = movements.Where(m => m.Kind is StockMovementKind.Adjusted or StockMovementKind.Synced && m.OnHandDelta > 0).Sum(m => m.OnHandDelta);
                var committed = movements.Where(m => m.Kind == StockMovementKind.Committed).Sum(m => -m.OnHandDelta);
                Assert.True(committed <= received, $"{Sku(i)}: committed {committed} exceeds received {received}");
                Assert.Equal((level.OnHand, level.Reserved), (movements.Sum(m => m.OnHandDelta), movements.Sum(m => m.ReservedDelta)));
            }
        }
    }

    /// <summary>A generated case: initial stock per SKU, the operations, and how many run at once per round.</summary>
    public sealed record Scenario(int[] Stock, Op[] Ops, int RoundSize)
    {
        /// <inheritdoc />
        public override string ToString() => $"stock [{string.Join(",", Stock)}], rounds of {RoundSize}: {string.Join("; ", Ops.Select(o => o.ToString()))}";
    }

    /// <summary>A generated operation.</summary>
    public abstract record Op;

    private sealed record ReserveOp(int Slot, (int Sku, int Qty)[] Lines, int TtlMinutes) : Op
    {
        public override string ToString() => $"reserve r{Slot} [{string.Join(",", Lines.Select(l => $"s{l.Sku}x{l.Qty}"))}] ttl {TtlMinutes}m";
    }

    private sealed record CommitOp(int Slot) : Op;

    private sealed record ReleaseOp(int Slot) : Op;

    private sealed record ExtendOp(int Slot, int Minutes) : Op;

    private sealed record ExpireOp(int Minutes) : Op;

    private sealed record AdjustOp(int Key, int Sku, int Delta) : Op;
}
