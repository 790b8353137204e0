using Commerce.Checkout;
using Commerce.Checkout.Conformance;
using Commerce.Checkout.Storage;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;
using Commerce.Payments.Providers.Simulated;
using Commerce.PostgreSql.Checkout;
using Commerce.PostgreSql.Payments;
using Commerce.Testing;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.PostgreSql.Tests.Checkout;

/// <summary>
/// Crashes and PSP faults with every store on PostgreSQL. The store's local-step groups are transactions, so a crash
/// inside one leaves all or nothing; what remains are the crashes between the saga's steps: before a group ran, or
/// after it committed and before the caller saw the answer. A store wrapper injects both around every group and
/// progress write; then the recovery workers run, and the invariants must hold: nothing reserved, every started
/// checkout completed (paid order, captured payment, committed stock) or compensated (no live order, no open
/// authorization, stock back), and the PSP charged exactly the completed ones.
/// </summary>
public sealed class PostgreSqlCheckoutCrashTests
{
    /// <summary>The points a crash can cut the flow at: before or after each store call the saga makes.</summary>
    public static readonly string[] CrashPoints =
    [
        "begin.after", "confirm.before", "confirm.after", "update.before", "update.after", "compensate.before", "compensate.after",
    ];

    public static TheoryData<string> EveryCrashPoint => new(CrashPoints);

    [Theory]
    [MemberData(nameof(EveryCrashPoint))]
    public async Task A_crash_at_each_point_is_recovered_for_success_decline_and_unknown_outcome(string point)
    {
        foreach (var token in new[] { SimulatedPaymentProvider.SuccessToken, SimulatedPaymentProvider.DeclineToken, SimulatedPaymentProvider.LostResponseToken })
        {
            foreach (var late in new[] { false, true })
            {
                await using var h = await Harness.CreateAsync();
                var sku = await h.SkuAsync(5);
                var request = h.Request(sku, 2, token);
                h.Crashing.CrashAt[request.IdempotencyKey] = point;

                await RunAsync(h, request);
                await h.RecoverAllAsync([request], firstDelay: late ? h.Options.ReservationTtl + TimeSpan.FromMinutes(1) : null);
                await h.AssertSettledAsync([request], [sku]);

                var saga = await h.Store.FindByKeyAsync(request.IdempotencyKey, default);
                Assert.NotNull(saga);
                var replay = await h.Checkout.CheckoutAsync(request);
                Assert.Equal(saga.Step == CheckoutStep.Completed ? CheckoutStatus.Completed : CheckoutStatus.Failed, replay.Status);
                if (token == SimulatedPaymentProvider.DeclineToken)
                {
                    Assert.Equal(CheckoutStep.Compensated, saga.Step);
                }
                else if (!late)
                {
                    Assert.Equal(CheckoutStep.Completed, saga.Step);
                }
            }
        }
    }

    [Fact]
    public void Random_psp_faults_and_crashes_keep_the_invariants()
    {
        var scenarios =
            from seed in Gen.Choose(1, 1_000_000)
            from decline in Gen.Choose(0, 30)
            from error in Gen.Choose(0, 20)
            from timeout in Gen.Choose(0, 20)
            from lost in Gen.Choose(0, 20)
            from units in Gen.Choose(1, 5)
            from buyers in Gen.Choose(2, 8)
            from tokens in Gen.ArrayOf(Gen.Elements(SimulatedPaymentProvider.SuccessToken, SimulatedPaymentProvider.SuccessToken, SimulatedPaymentProvider.DeclineToken, SimulatedPaymentProvider.LostResponseToken), buyers)
            from crashes in Gen.ArrayOf(Gen.Choose(-CrashPoints.Length, CrashPoints.Length - 1), buyers)
            from concurrent in Gen.Elements(true, false)
            from late in Gen.Elements(true, false)
            select new Scenario(seed, decline / 100.0, error / 100.0, timeout / 100.0, lost / 100.0, units, tokens, crashes, concurrent, late);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(15), Prop.ForAll(Arb.From(scenarios), scenario =>
            Task.Run(() => RunScenarioAsync(scenario)).GetAwaiter().GetResult()));
    }

    private static async Task<bool> RunScenarioAsync(Scenario scenario)
    {
        await using var h = await Harness.CreateAsync(new SimulatedPaymentProviderOptions
        {
            Seed = scenario.Seed,
            DeclineRate = scenario.DeclineRate,
            ErrorRate = scenario.ErrorRate,
            TimeoutRate = scenario.TimeoutRate,
            LostResponseRate = scenario.LostRate,
        });
        var sku = await h.SkuAsync(scenario.Units);
        var requests = scenario.Tokens.Select(t => h.Request(sku, 1, t)).ToArray();
        for (var i = 0; i < requests.Length; i++)
        {
            if (scenario.Crashes[i] >= 0)
            {
                h.Crashing.CrashAt[requests[i].IdempotencyKey] = CrashPoints[scenario.Crashes[i]];
            }
        }

        if (scenario.Concurrent)
        {
            await Task.WhenAll(requests.Select(r => Task.Run(() => RunAsync(h, r))));
        }
        else
        {
            foreach (var request in requests)
            {
                await RunAsync(h, request);
            }
        }

        await h.RecoverAllAsync(requests, maxPasses: 40, firstDelay: scenario.RecoveredLate ? h.Options.ReservationTtl + TimeSpan.FromMinutes(1) : null);
        await h.AssertSettledAsync(requests, [sku]);
        var (onHand, _) = await h.StockAsync(sku);
        Assert.Equal(scenario.Units - h.Psp.Captures, onHand);
        return true;
    }

    private static async Task RunAsync(Harness h, CheckoutRequest request)
    {
        try
        {
            var result = await h.Checkout.CheckoutAsync(request);
            Assert.True(result.Status != CheckoutStatus.Rejected || result.Error!.Code == CheckoutErrorCodes.SoldOut, result.ToString());
        }
        catch (CrashException)
        {
        }
    }

    public sealed record Scenario(
        int Seed, double DeclineRate, double ErrorRate, double TimeoutRate, double LostRate, int Units, string[] Tokens, int[] Crashes, bool Concurrent, bool RecoveredLate)
    {
        public override string ToString() =>
            $"seed {Seed}, decline {DeclineRate}, error {ErrorRate}, timeout {TimeoutRate}, lost {LostRate}, units {Units}, tokens [{string.Join(",", Tokens)}], crashes [{string.Join(",", Crashes)}], concurrent {Concurrent}, late {RecoveredLate}";
    }

    private sealed class CrashException(string point) : Exception($"Simulated crash at {point}.");

    /// <summary>Throws, once per checkout, before a store call runs or after it committed, at the point chosen for its key.</summary>
    private sealed class CrashingStore(ICheckoutSagaStore inner) : ICheckoutSagaStore
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<IdempotencyKey, bool> _crashed = new();

        public System.Collections.Concurrent.ConcurrentDictionary<IdempotencyKey, string> CrashAt { get; } = new();

        public async ValueTask<BeginResult> BeginAsync(CheckoutSaga saga, CancellationToken cancellationToken) =>
            After(saga, "begin", await inner.BeginAsync(saga, cancellationToken));

        public async ValueTask<ConfirmResult> ConfirmAsync(CheckoutSaga saga, CancellationToken cancellationToken)
        {
            Crash(saga, "confirm.before");
            return After(saga, "confirm", await inner.ConfirmAsync(saga, cancellationToken));
        }

        public async ValueTask<SagaWriteResult> CompensateAsync(CheckoutSaga saga, CancellationToken cancellationToken)
        {
            Crash(saga, "compensate.before");
            return After(saga, "compensate", await inner.CompensateAsync(saga, cancellationToken));
        }

        public async ValueTask<SagaWriteResult> UpdateAsync(CheckoutSaga saga, CancellationToken cancellationToken)
        {
            Crash(saga, "update.before");
            return After(saga, "update", await inner.UpdateAsync(saga, cancellationToken));
        }

        public ValueTask<CheckoutSaga?> GetAsync(CheckoutId id, CancellationToken cancellationToken) => inner.GetAsync(id, cancellationToken);

        public ValueTask<CheckoutSaga?> FindByKeyAsync(IdempotencyKey key, CancellationToken cancellationToken) => inner.FindByKeyAsync(key, cancellationToken);

        public ValueTask<CheckoutSaga?> FindByOrderAsync(OrderId orderId, CancellationToken cancellationToken) => inner.FindByOrderAsync(orderId, cancellationToken);

        public ValueTask<IReadOnlyList<CheckoutSaga>> ListDueAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken) =>
            inner.ListDueAsync(now, maxCount, cancellationToken);

        private T After<T>(CheckoutSaga saga, string call, T result)
        {
            Crash(saga, call + ".after");
            return result;
        }

        private void Crash(CheckoutSaga saga, string point)
        {
            if (CrashAt.TryGetValue(saga.IdempotencyKey, out var at) && at == point && _crashed.TryAdd(saga.IdempotencyKey, true))
            {
                throw new CrashException(point);
            }
        }
    }

    /// <summary>The whole engine with every store on PostgreSQL (one fresh schema) on a fake clock, with a simulated PSP the test counts on.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private static readonly Money Price = new(1_000, Currency.USD);
        private readonly List<IAsyncDisposable> _disposables = [];
        private int _sequence;

        private Harness()
        {
        }

        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

        public InventoryService Inventory { get; private set; } = null!;

        public CrashingStore Crashing { get; private set; } = null!;

        public CrashingStore Store => Crashing;

        public SimulatedPaymentProvider Psp { get; private set; } = null!;

        public PaymentService Payments { get; private set; } = null!;

        public OrderService Orders { get; private set; } = null!;

        public InMemoryPriceCatalog Catalog { get; } = new();

        public CheckoutOptions Options { get; } = new() { BuyerPermitsPerSecond = null };

        public CheckoutService Checkout { get; private set; } = null!;

        public static async Task<Harness> CreateAsync(SimulatedPaymentProviderOptions? psp = null)
        {
            var h = new Harness();
            var schema = PostgreSqlSchema.Create("cc");
            h._disposables.Add(schema);
            var (store, inventory, orders) = await PostgreSqlCheckoutStores.CreateAsync(schema, h.Time, h._disposables.Add);
            var paymentStore = new PostgreSqlPaymentStore(schema.DataSource, new PostgreSqlPaymentsOptions { Schema = schema.Name }, h.Time);
            await paymentStore.MigrateAsync();
            h.Inventory = inventory;
            h.Orders = orders;
            h.Crashing = new CrashingStore(store);
            h.Psp = new SimulatedPaymentProvider(psp ?? new SimulatedPaymentProviderOptions(), h.Time);
            var services = new ServiceCollection();
            services.AddSingleton<TimeProvider>(h.Time);
            services.AddCommercePayments().AddProvider("simulated", _ => h.Psp, p =>
            {
                p.MaxRetries = 0;
                p.CircuitFailureRatio = 1.0;
            }).UseStore(_ => paymentStore);
            var provider = services.BuildServiceProvider();
            h._disposables.Add(provider);
            h.Payments = provider.GetRequiredService<PaymentService>();
            h.Checkout = new CheckoutService(h.Crashing, h.Payments, h.Catalog, Microsoft.Extensions.Options.Options.Create(h.Options), h.Time);
            h._disposables.Add(h.Checkout);
            return h;
        }

        public async Task<Sku> SkuAsync(long units)
        {
            var sku = new Sku($"sku-{Interlocked.Increment(ref _sequence)}");
            await Inventory.AdjustStockAsync(new StockAdjustment(sku, units, "seed", new IdempotencyKey($"seed-{sku}")));
            Catalog.Set(sku, new SellerId("seller-a"), Price);
            return sku;
        }

        public CheckoutRequest Request(Sku sku, long quantity, string token)
        {
            var n = Interlocked.Increment(ref _sequence);
            return new(new IdempotencyKey($"key-{n}"), new BuyerId($"buyer-{n}"), [new CheckoutLine(sku, quantity, Price)], Currency.USD, token);
        }

        public async Task<(long OnHand, long Reserved)> StockAsync(Sku sku)
        {
            var level = await Inventory.GetStockAsync(sku);
            return (level!.OnHand, level.Reserved);
        }

        // The crashes are injected once each, so the recovery passes run clean.
        public Task RecoverAllAsync(IEnumerable<CheckoutRequest> requests, int maxPasses = 20, TimeSpan? firstDelay = null) =>
            Settlement.RecoverAllAsync(requests, maxPasses, firstDelay);

        public Task AssertSettledAsync(IEnumerable<CheckoutRequest> requests, IEnumerable<Sku> skus) => Settlement.AssertSettledAsync(requests, skus);

        private CheckoutSettlement Settlement => new(Time, Options, Inventory, Orders, Store, Payments, Checkout, Psp);

        public async ValueTask DisposeAsync()
        {
            for (var i = _disposables.Count - 1; i >= 0; i--)
            {
                await _disposables[i].DisposeAsync();
            }
        }
    }
}
