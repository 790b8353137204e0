using Commerce.Payments.Providers.Simulated;
using FsCheck;
using FsCheck.Fluent;

namespace Commerce.Checkout.Tests;

/// <summary>
/// Crashes between every pair of steps (the saga's own and those inside the store's local-step groups) with random
/// PSP faults: after the recovery workers ran, no stock is held, no order is stuck, no authorization is open without
/// a paid order, and every started checkout ended completed or compensated.
/// </summary>
public sealed class CrashRecoveryTests
{
    /// <summary>Every point where a crash can cut the flow: inside the store's groups, then between the saga's steps.</summary>
    public static readonly string[] CrashPoints =
    [
        "begin.claimed", "begin.reserved", "begin.placed", "begun", "authorized", "confirm.committed", "confirm.paid",
        "confirmed", "captured", "voided", "compensate.released", "compensate.undone", "compensated",
    ];

    public static TheoryData<string> EveryCrashPoint => new(CrashPoints);

    private sealed class CrashException(string point) : Exception($"Simulated crash at {point}.");

    [Theory]
    [MemberData(nameof(EveryCrashPoint))]
    public async Task A_crash_at_each_point_is_recovered_for_success_decline_and_unknown_outcome(string point)
    {
        foreach (var token in new[] { SimulatedPaymentProvider.SuccessToken, SimulatedPaymentProvider.DeclineToken, SimulatedPaymentProvider.LostResponseToken })
        {
            await CrashAndRecoverAsync(point, token, recoveredAfterTheHoldExpired: false);
            await CrashAndRecoverAsync(point, token, recoveredAfterTheHoldExpired: true);
        }
    }

    private static async Task CrashAndRecoverAsync(string point, string token, bool recoveredAfterTheHoldExpired)
    {
        {
            await using var h = CheckoutHarness.Create();
            var sku = await h.SkuAsync(5);
            var request = h.Request(sku, 2, token: token);
            var crashed = 0;
            ValueTask Hook(string step, CheckoutSaga saga)
            {
                if (step == point && Interlocked.Exchange(ref crashed, 1) == 0)
                {
                    throw new CrashException(step);
                }

                return ValueTask.CompletedTask;
            }

            h.Store.StepHook = Hook;
            h.Checkout.StepHook = Hook;

            try
            {
                await h.Checkout.CheckoutAsync(request);
            }
            catch (CrashException)
            {
            }

            await h.RecoverAllAsync([request], firstDelay: recoveredAfterTheHoldExpired ? h.Options.ReservationTtl + TimeSpan.FromMinutes(1) : null);
            await h.AssertSettledAsync([request], [sku]);

            // Every crash point is after the key was claimed: a saga always exists, and it ended.
            var saga = await h.Store.FindByKeyAsync(request.IdempotencyKey, default);
            Assert.NotNull(saga);
            {
                // After recovery, the same key answers with the settled outcome.
                var replay = await h.Checkout.CheckoutAsync(request);
                Assert.Equal(saga.Step == CheckoutStep.Completed ? CheckoutStatus.Completed : CheckoutStatus.Failed, replay.Status);
                if (token == SimulatedPaymentProvider.DeclineToken)
                {
                    Assert.Equal(CheckoutStep.Compensated, saga.Step);
                }
                else if (!recoveredAfterTheHoldExpired)
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
            from units in Gen.Choose(1, 6)
            from buyers in Gen.Choose(2, 10)
            from tokens in Gen.ArrayOf(Gen.Elements(SimulatedPaymentProvider.SuccessToken, SimulatedPaymentProvider.SuccessToken, SimulatedPaymentProvider.DeclineToken, SimulatedPaymentProvider.LostResponseToken), buyers)
            from crashes in Gen.ArrayOf(Gen.Choose(-CrashPoints.Length, CrashPoints.Length - 1), buyers)
            from concurrent in Gen.Elements(true, false)
            from late in Gen.Elements(true, false)
            select new Scenario(seed, decline / 100.0, error / 100.0, timeout / 100.0, lost / 100.0, units, tokens, crashes, concurrent, late);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), Prop.ForAll(Arb.From(scenarios), scenario =>
            Task.Run(() => RunAsync(scenario)).GetAwaiter().GetResult()));
    }

    private static async Task<bool> RunAsync(Scenario scenario)
    {
        await using var h = CheckoutHarness.Create(psp: new SimulatedPaymentProviderOptions
        {
            Seed = scenario.Seed,
            DeclineRate = scenario.DeclineRate,
            ErrorRate = scenario.ErrorRate,
            TimeoutRate = scenario.TimeoutRate,
            LostResponseRate = scenario.LostRate,
        });
        var sku = await h.SkuAsync(scenario.Units);
        var requests = scenario.Tokens.Select(t => h.Request(sku, 1, token: t)).ToArray();
        var crashAt = new Dictionary<IdempotencyKey, string>();
        for (var i = 0; i < requests.Length; i++)
        {
            if (scenario.Crashes[i] >= 0)
            {
                crashAt[requests[i].IdempotencyKey] = CrashPoints[scenario.Crashes[i]];
            }
        }

        var crashed = new System.Collections.Concurrent.ConcurrentDictionary<IdempotencyKey, bool>();
        ValueTask Hook(string step, CheckoutSaga saga)
        {
            if (crashAt.TryGetValue(saga.IdempotencyKey, out var point) && point == step && crashed.TryAdd(saga.IdempotencyKey, true))
            {
                throw new CrashException(step);
            }

            return ValueTask.CompletedTask;
        }

        h.Store.StepHook = Hook;
        h.Checkout.StepHook = Hook;

        async Task RunOneAsync(CheckoutRequest request)
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

        if (scenario.Concurrent)
        {
            await Task.WhenAll(requests.Select(r => Task.Run(() => RunOneAsync(r))));
        }
        else
        {
            foreach (var request in requests)
            {
                await RunOneAsync(request);
            }
        }

        await h.RecoverAllAsync(requests, maxPasses: 40, firstDelay: scenario.RecoveredLate ? h.Options.ReservationTtl + TimeSpan.FromMinutes(1) : null);
        await h.AssertSettledAsync(requests, [sku]);
        var (onHand, _) = await h.StockAsync(sku);
        Assert.Equal(scenario.Units - h.Psp.Captures, onHand);
        return true;
    }

    public sealed record Scenario(
        int Seed, double DeclineRate, double ErrorRate, double TimeoutRate, double LostRate, int Units, string[] Tokens, int[] Crashes, bool Concurrent, bool RecoveredLate)
    {
        public override string ToString() =>
            $"seed {Seed}, decline {DeclineRate}, error {ErrorRate}, timeout {TimeoutRate}, lost {LostRate}, units {Units}, tokens [{string.Join(",", Tokens)}], crashes [{string.Join(",", Crashes)}], concurrent {Concurrent}, late {RecoveredLate}";
    }
}
