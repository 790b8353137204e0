using System.Collections.Concurrent;
using Commerce.Payments.Ledger;
using Commerce.Payments.Providers.Simulated;
using FsCheck;
using FsCheck.Fluent;

namespace Commerce.Payments.Conformance;

/// <summary>
/// Property tests: random sequences of authorize, capture, void and refund, with random PSP faults (refused
/// connections, timeouts, lost responses), client retries with the same key, concurrent rounds and resolver passes,
/// must keep every money invariant, here and at the PSP.
/// </summary>
public abstract partial class PaymentStoreConformance
{
    private const int PropertyPayments = 4;
    private int _paymentCase;

    [Fact]
    public void Random_operations_with_psp_faults_and_retries_never_overcapture_overrefund_or_charge_twice()
    {
        var property = Prop.ForAll(Arb.From(PaymentScenarioGen()), scenario =>
            Task.Run(() => RunPaymentScenarioAsync(scenario)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(PropertyIterations), property);
    }

    private static Gen<PaymentScenario> PaymentScenarioGen()
    {
        var slot = Gen.Choose(0, PropertyPayments - 1);
        var op = Gen.Frequency(
            (3, from s in slot
                from amount in Gen.Choose(1, 1000)
                from decline in Gen.Frequency((1, Gen.Constant(true)), (5, Gen.Constant(false)))
                select (PaymentOp)new AuthorizeOp(s, amount, decline)),
            (4, from s in slot
                from amount in Gen.Choose(1, 600)
                from final in Gen.Frequency((1, Gen.Constant(true)), (4, Gen.Constant(false)))
                select (PaymentOp)new CaptureOp(s, amount, final)),
            (1, slot.Select(s => (PaymentOp)new VoidOp(s))),
            (3, from s in slot from amount in Gen.Choose(1, 600) select (PaymentOp)new RefundOp(s, amount)),
            (3, Gen.Choose(0, 1000).Select(i => (PaymentOp)new RetryOp(i))),
            (1, Gen.Constant((PaymentOp)new ResolveOp())));
        return from ops in Gen.ListOf(op, 30).Select(o => o.ToArray()).Where(o => o.Length > 0)
               from roundSize in Gen.Choose(1, 4)
               from seed in Gen.Choose(1, 1_000_000)
               from errors in Gen.Elements(0.0, 0.1, 0.3)
               from timeouts in Gen.Elements(0.0, 0.1, 0.3)
               from lost in Gen.Elements(0.0, 0.1, 0.3)
               select new PaymentScenario(ops, roundSize, new SimulatedPaymentProviderOptions
               {
                   Seed = seed,
                   ErrorRate = errors,
                   TimeoutRate = timeouts,
                   LostResponseRate = lost,
                   StatusErrorRate = 0.2,
               });
    }

    private async Task<bool> RunPaymentScenarioAsync(PaymentScenario scenario)
    {
        var prefix = $"prop{Interlocked.Increment(ref _paymentCase)}";
        var primary = new SimulatedPaymentProvider(scenario.Faults, Time);
        var secondary = new SimulatedPaymentProvider(scenario.Faults with { Seed = scenario.Faults.Seed + 1 }, Time);
        var service = CreateService(Store, ("primary", primary, 0), ("secondary", secondary, 1));
        var sent = new ConcurrentBag<Func<Task>>();
        PaymentId Id(int s) => new($"{prefix}-{s}");

        foreach (var round in scenario.Ops.Chunk(scenario.RoundSize))
        {
            var requests = sent.ToArray();
            await Task.WhenAll(round.Select(op => Task.Run(() => ApplyAsync(op, requests))));
            await AssertPaymentInvariantsAsync(prefix, primary, secondary, settled: false);
        }

        // Drain: the resolver and the clients' retries settle everything; then every figure must agree with the PSPs.
        // Retries may start new attempts (a request refused as busy earlier), so they stop after 30 passes; the resolver
        // goes on until nothing is in flight. A faulty PSP leaves about half its answers inconclusive here, so a bound
        // of a few passes would fail now and then without anything being wrong; 200 never does.
        for (var pass = 0; pass < 230; pass++)
        {
            PassTime();
            var inFlight = false;
            for (var s = 0; s < PropertyPayments; s++)
            {
                await service.ResolveAsync(Id(s), default);
                inFlight |= (await Store.GetAsync(Id(s), default))?.InFlight is not null;
            }

            if (pass < 30)
            {
                foreach (var retry in sent)
                {
                    await retry();
                }
            }
            else if (!inFlight)
            {
                break;
            }
        }

        await AssertPaymentInvariantsAsync(prefix, primary, secondary, settled: true);
        return true;

        async Task ApplyAsync(PaymentOp op, Func<Task>[] earlier)
        {
            Func<Task>? request = op switch
            {
                AuthorizeOp a => () => service.AuthorizeAsync(
                    new AuthorizePaymentRequest(Id(a.Slot), new IdempotencyKey($"{prefix}-auth-{a.Slot}-{a.Amount}-{a.Decline}"), Usd(a.Amount),
                        a.Decline ? SimulatedPaymentProvider.DeclineToken : SimulatedPaymentProvider.SuccessToken), default).AsTask(),
                CaptureOp c => () => service.CaptureAsync(
                    new CapturePaymentRequest(Id(c.Slot), new IdempotencyKey($"{prefix}-cap-{Guid.NewGuid():N}"), Usd(c.Amount), c.Final), default).AsTask(),
                VoidOp v => () => service.VoidAsync(new VoidPaymentRequest(Id(v.Slot), new IdempotencyKey($"{prefix}-void-{Guid.NewGuid():N}")), default).AsTask(),
                RefundOp r => () => service.RefundAsync(
                    new RefundPaymentRequest(Id(r.Slot), new IdempotencyKey($"{prefix}-ref-{Guid.NewGuid():N}"), Usd(r.Amount)), default).AsTask(),
                RetryOp r when earlier.Length > 0 => earlier[r.Index % earlier.Length],
                ResolveOp => async () =>
                {
                    PassTime(TimeSpan.FromSeconds(40));
                    for (var s = 0; s < PropertyPayments; s++)
                    {
                        await service.ResolveAsync(Id(s), default);
                    }
                }
                ,
                _ => null,
            };
            if (request is null)
            {
                return;
            }

            // Keys are captured once: a retry resends the identical request, as a client would.
            var guarded = Guard(request);
            if (op is not (RetryOp or ResolveOp))
            {
                sent.Add(guarded);
            }

            await guarded();
        }
    }

    private static Func<Task> Guard(Func<Task> request) => async () =>
    {
        try
        {
            await request();
        }
        catch (CommerceException ex) when (ex.Code is PaymentErrorCodes.PaymentBusy or PaymentErrorCodes.RequestInProgress
            or PaymentErrorCodes.InvalidTransition or PaymentErrorCodes.CaptureExceedsAuthorized or PaymentErrorCodes.RefundExceedsCaptured
            or PaymentErrorCodes.UnknownPayment or PaymentErrorCodes.PaymentExists)
        {
            // Expected refusals: the request wrote nothing.
        }
    };

    /// <summary>A payment and its attempts in one line, for a failure message that shows what happened.</summary>
    private static string Describe(Payment payment) =>
        $"payment {payment.Id} {payment.Status} v{payment.Version}: " + string.Join(" | ", payment.Attempts.Select(a =>
            $"#{a.Number} {a.Operation} {a.Provider} {a.Status} {a.AmountMinor} (key {a.RequestKey}, {a.FailureCode ?? "ok"}, {a.ResolveTries} resolver tries, changed {a.UpdatedAt:O})"));

    private async Task AssertPaymentInvariantsAsync(string prefix, SimulatedPaymentProvider primary, SimulatedPaymentProvider secondary, bool settled)
    {
        for (var s = 0; s < PropertyPayments; s++)
        {
            var payment = await Store.GetAsync(new PaymentId($"{prefix}-{s}"), default);
            if (payment is null)
            {
                continue;
            }

            Assert.InRange(payment.CapturedMinor, 0, payment.AuthorizedMinor);
            Assert.InRange(payment.RefundedMinor, 0, payment.CapturedMinor);
            Assert.True(payment.Attempts.Count(a => a.Status is AttemptStatus.Pending or AttemptStatus.Unknown) <= 1, "two attempts in flight");
            Assert.True(payment.Attempts.Count(a => a.Operation == PaymentOperation.Authorize && a.Status == AttemptStatus.Succeeded) <= 1, "two authorizations");
            foreach (var attempt in payment.Attempts.Where(a => a.Operation == PaymentOperation.Authorize))
            {
                var psp = attempt.Provider == "primary" ? primary : secondary;
                var reference = PaymentReference.Format(payment.Id, attempt.Number);
                Assert.True(psp.AuthorizationsFor(reference) <= 1, $"{reference} charged twice");
                if (attempt.Status is AttemptStatus.Failed or AttemptStatus.Declined)
                {
                    Assert.True(psp.AuthorizationsFor(reference) == 0, $"{reference} is {attempt.Status} here but authorized at the PSP; {Describe(payment)}");
                }
            }

            var journal = await Store.GetJournalAsync(payment.Id, default);
            Assert.All(journal, e => Assert.True(e.IsBalanced));
            var booked = journal.Sum(e => e.Lines.Where(l => l.Account.StartsWith("psp_clearing:", StringComparison.Ordinal)).Sum(l => l.DebitMinor - l.CreditMinor));
            Assert.Equal(payment.CapturedMinor - payment.RefundedMinor, booked);

            if (settled)
            {
                Assert.True(payment.InFlight is null, $"an attempt is still in flight after the drain; {Describe(payment)}");
                var authorization = payment.Authorization;
                var pspAttempts = payment.Attempts.Where(a => a.Operation == PaymentOperation.Authorize).ToArray();
                foreach (var attempt in pspAttempts)
                {
                    var psp = attempt.Provider == "primary" ? primary : secondary;
                    var held = psp.Find(PaymentReference.Format(payment.Id, attempt.Number));
                    if (attempt == authorization)
                    {
                        Assert.Equal((payment.AuthorizedMinor, payment.CapturedMinor, payment.RefundedMinor, payment.Status == PaymentStatus.Voided), held!.Value);
                    }
                }
            }
        }

        Assert.Equal(0, (await Store.GetBalancesAsync(default)).Sum(b => b.NetMinor));
    }

    private sealed record PaymentScenario(PaymentOp[] Ops, int RoundSize, SimulatedPaymentProviderOptions Faults)
    {
        public override string ToString() => $"round {RoundSize}, faults {Faults}: {string.Join(", ", Ops.Select(o => o.ToString()))}";
    }

    private abstract record PaymentOp;

    private sealed record AuthorizeOp(int Slot, int Amount, bool Decline) : PaymentOp;

    private sealed record CaptureOp(int Slot, int Amount, bool Final) : PaymentOp;

    private sealed record VoidOp(int Slot) : PaymentOp;

    private sealed record RefundOp(int Slot, int Amount) : PaymentOp;

    private sealed record RetryOp(int Index) : PaymentOp;

    private sealed record ResolveOp : PaymentOp;
}
