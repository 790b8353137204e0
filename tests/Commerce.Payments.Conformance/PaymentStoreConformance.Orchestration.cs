using Commerce.Payments.Idempotency;
using Commerce.Payments.Ledger;
using Commerce.Payments.Providers.Simulated;

namespace Commerce.Payments.Conformance;

public abstract partial class PaymentStoreConformance
{
    [Fact]
    public async Task Authorize_capture_and_refund_move_the_payment_and_book_a_balanced_ledger()
    {
        var splits = new[] { new SellerShare(new SellerId("acme"), Usd(700)), new SellerShare(new SellerId("globex"), Usd(300)) };
        var options = new PaymentsOptions { DefaultCommissionBasisPoints = 1000 };
        options.CommissionBasisPoints["acme"] = 250;
        var service = CreateService(Store, options, [], ("alpha", Alpha, 0));
        var authorized = await AuthorizeAsync(1000, service, splits: splits);
        var id = authorized.Payment.Id;

        var first = await service.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(400)), default);
        var second = await service.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(600)), default);
        var refund = await service.RefundAsync(new RefundPaymentRequest(id, NewKey(), Usd(1000)), default);

        Assert.True(authorized.Succeeded);
        Assert.Equal(PaymentStatus.Authorized, authorized.Payment.Status);
        Assert.Equal(PaymentStatus.PartiallyCaptured, first.Payment.Status);
        Assert.Equal(PaymentStatus.Captured, second.Payment.Status);
        Assert.Equal(PaymentStatus.Refunded, refund.Payment.Status);
        Assert.Equal((1000, 1000, false), (Alpha.Find(PaymentReference.Format(id, 1))!.Value.Captured, Alpha.Find(PaymentReference.Format(id, 1))!.Value.Refunded, false));

        var journal = await Store.GetJournalAsync(id, default);
        Assert.Equal(3, journal.Count);
        Assert.All(journal, e => Assert.True(e.IsBalanced));
        var captureCredits = journal.Where(e => e.Kind == "capture").SelectMany(e => e.Lines).GroupBy(l => l.Account)
            .ToDictionary(g => g.Key, g => g.Sum(l => l.CreditMinor - l.DebitMinor));
        Assert.Equal(700 - 17, captureCredits["seller_payable:acme"]);
        Assert.Equal(300 - 30, captureCredits["seller_payable:globex"]);
        Assert.Equal(17 + 30, captureCredits[LedgerAccounts.PlatformCommission]);

        // The full refund reverses exactly what the captures credited: every account is back to zero.
        var balances = await Store.GetBalancesAsync(default);
        Assert.All(balances.Where(b => b.Account.Contains("acme", StringComparison.Ordinal) || b.Account.Contains("globex", StringComparison.Ordinal)
            || b.Account == LedgerAccounts.PlatformCommission || b.Account == "psp_clearing:alpha"), b => Assert.Equal(0, b.NetMinor));
    }

    [Fact]
    public async Task A_decline_is_a_result_and_its_replay_returns_it_without_calling_the_psp_again()
    {
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(500), SimulatedPaymentProvider.DeclineToken);

        var first = await Payments.AuthorizeAsync(request, default);
        var calls = Alpha.Calls;
        var replay = await Payments.AuthorizeAsync(request, default);

        Assert.Equal(PaymentOutcome.Declined, first.Outcome);
        Assert.Equal("card_declined", first.FailureCode);
        Assert.Equal(PaymentStatus.Failed, first.Payment.Status);
        Assert.False(first.IsReplay);
        Assert.True(replay.IsReplay);
        Assert.Equal((first.Outcome, first.FailureCode, first.AttemptNumber), (replay.Outcome, replay.FailureCode, replay.AttemptNumber));
        Assert.Equal(calls, Alpha.Calls);
    }

    [Fact]
    public async Task A_key_reused_with_another_body_is_refused_and_changes_nothing()
    {
        var key = NewKey();
        var id = NewPaymentId();
        await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(500), "tok_visa"), default);
        var before = await Store.GetAsync(id, default);

        await AssertCodeAsync(PaymentErrorCodes.IdempotencyKeyReused, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(501), "tok_visa"), default));
        await AssertCodeAsync(PaymentErrorCodes.IdempotencyKeyReused, async () =>
            await Payments.CaptureAsync(new CapturePaymentRequest(id, key, Usd(500)), default));

        Assert.Equal(before, await Store.GetAsync(id, default));
        Assert.Equal(1, Alpha.Authorizations);
    }

    [Fact]
    public async Task Another_key_for_an_existing_payment_is_refused_and_forgotten()
    {
        var id = NewPaymentId();
        await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, NewKey(), Usd(500), "tok_visa"), default);
        var second = NewKey();

        await AssertCodeAsync(PaymentErrorCodes.PaymentExists, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, second, Usd(500), "tok_visa"), default));

        Assert.Null(await Keys.GetKeyAsync(second.Value, default));
        Assert.Equal(1, Alpha.Authorizations);
    }

    [Fact]
    public async Task Captures_beyond_the_authorization_and_refunds_beyond_the_capture_are_refused_and_write_nothing()
    {
        var id = (await AuthorizeAsync(1000)).Payment.Id;
        var key = NewKey();
        await AssertCodeAsync(PaymentErrorCodes.CaptureExceedsAuthorized, async () =>
            await Payments.CaptureAsync(new CapturePaymentRequest(id, key, Usd(1001)), default));
        Assert.Null(await Keys.GetKeyAsync(key.Value, default));
        await Payments.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(600)), default);
        await AssertCodeAsync(PaymentErrorCodes.CaptureExceedsAuthorized, async () =>
            await Payments.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(401)), default));
        await Payments.RefundAsync(new RefundPaymentRequest(id, NewKey(), Usd(500)), default);
        var before = await Store.GetAsync(id, default);

        await AssertCodeAsync(PaymentErrorCodes.RefundExceedsCaptured, async () =>
            await Payments.RefundAsync(new RefundPaymentRequest(id, NewKey(), Usd(101)), default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidTransition, async () =>
            await Payments.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(100)), default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidTransition, async () =>
            await Payments.VoidAsync(new VoidPaymentRequest(id, NewKey()), default));

        Assert.Equal(before, await Store.GetAsync(id, default));
        Assert.Equal(600, Alpha.Find(PaymentReference.Format(id, 1))!.Value.Captured);
    }

    [Fact]
    public async Task Bad_input_gets_a_typed_error_and_writes_nothing()
    {
        var id = NewPaymentId();
        var key = NewKey();
        await AssertCodeAsync(PaymentErrorCodes.InvalidAmount, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(0), "tok_visa"), default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidAmount, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(-5), "tok_visa"), default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidAmount, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(long.MaxValue), "tok_visa"), default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidRequest, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(10), ""), default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidRequest, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(10), "tok visa"), default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidRequest, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, default, Usd(10), "tok_visa"), default));
        await AssertCodeAsync(PaymentErrorCodes.CurrencyMismatch, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(10), "tok_visa")
            {
                Splits = [new SellerShare(new SellerId("acme"), Money.FromMinorUnits(10, "EUR"))],
            }, default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidRequest, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(10), "tok_visa")
            {
                Splits = [new SellerShare(new SellerId("acme"), Usd(4)), new SellerShare(new SellerId("globex"), Usd(5))],
            }, default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidRequest, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(10), "tok_visa")
            {
                Splits = [new SellerShare(new SellerId("acme"), Usd(4)), new SellerShare(new SellerId("globex"), Usd(2)), new SellerShare(new SellerId("acme"), Usd(4))],
            }, default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidRequest, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(10), "tok_visa")
            {
                Splits = [new SellerShare(default, Usd(10))],
            }, default));
        await AssertCodeAsync(PaymentErrorCodes.UnknownProvider, async () =>
            await Payments.AuthorizeAsync(new AuthorizePaymentRequest(id, key, Usd(10), "tok_visa") { Provider = "nope" }, default));
        await AssertCodeAsync(PaymentErrorCodes.UnknownPayment, async () =>
            await Payments.CaptureAsync(new CapturePaymentRequest(id, key, Usd(10)), default));
        Assert.Throws<CommerceValidationException>(() => new IdempotencyKey(new string('k', 256)));

        var authorized = (await AuthorizeAsync(100)).Payment.Id;
        var before = await Store.GetAsync(authorized, default);
        await AssertCodeAsync(PaymentErrorCodes.CurrencyMismatch, async () =>
            await Payments.CaptureAsync(new CapturePaymentRequest(authorized, key, Money.FromMinorUnits(10, "EUR")), default));
        await AssertCodeAsync(PaymentErrorCodes.InvalidAmount, async () =>
            await Payments.RefundAsync(new RefundPaymentRequest(authorized, key, Usd(0)), default));

        Assert.Null(await Store.GetAsync(id, default));
        Assert.Null(await Keys.GetKeyAsync(key.Value, default));
        Assert.Equal(before, await Store.GetAsync(authorized, default));
        Assert.Equal(1, Alpha.Authorizations);
    }

    [Fact]
    public async Task A_void_releases_the_authorization_and_is_terminal()
    {
        var id = (await AuthorizeAsync(800)).Payment.Id;

        var voided = await Payments.VoidAsync(new VoidPaymentRequest(id, NewKey()), default);

        Assert.Equal(PaymentStatus.Voided, voided.Payment.Status);
        Assert.True(Alpha.Find(PaymentReference.Format(id, 1))!.Value.Voided);
        await AssertCodeAsync(PaymentErrorCodes.InvalidTransition, async () =>
            await Payments.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(1)), default));
        Assert.Empty(await Store.GetJournalAsync(id, default));
    }

    [Fact]
    public async Task A_final_partial_capture_closes_the_authorization()
    {
        var id = (await AuthorizeAsync(800)).Payment.Id;

        var captured = await Payments.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(300), IsFinal: true), default);

        Assert.Equal(PaymentStatus.Captured, captured.Payment.Status);
        await AssertCodeAsync(PaymentErrorCodes.InvalidTransition, async () =>
            await Payments.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(100)), default));
    }

    [Fact]
    public async Task A_provider_that_surely_failed_is_failed_over_with_a_new_psp_key()
    {
        var down = new SimulatedPaymentProvider(new SimulatedPaymentProviderOptions { ErrorRate = 1 }, Time);
        var service = CreateService(Store, ("down", down, 0), ("alpha", Alpha, 1));

        var result = await AuthorizeAsync(700, service);

        Assert.True(result.Succeeded);
        Assert.Equal(2, result.AttemptNumber);
        Assert.Equal(["down", "alpha"], result.Payment.Attempts.Select(a => a.Provider));
        Assert.Equal([AttemptStatus.Failed, AttemptStatus.Succeeded], result.Payment.Attempts.Select(a => a.Status));
        Assert.NotEqual(result.Payment.Attempts[0].PspKey, result.Payment.Attempts[1].PspKey);
        Assert.Equal(0, down.Authorizations);
        Assert.Equal(1, Alpha.Authorizations);
    }

    [Fact]
    public async Task A_timeout_of_unknown_outcome_is_never_failed_over()
    {
        var slow = new SimulatedPaymentProvider(new SimulatedPaymentProviderOptions { LostResponseRate = 1 }, Time);
        var service = CreateService(Store, ("slow", slow, 0), ("alpha", Alpha, 1));

        var result = await AuthorizeAsync(700, service);

        Assert.Equal(PaymentOutcome.Pending, result.Outcome);
        Assert.Equal(PaymentStatus.Unknown, result.Payment.Status);
        Assert.Single(result.Payment.Attempts);
        Assert.Equal(1, slow.Authorizations);
        Assert.Equal(0, Alpha.Authorizations);
        await AssertCodeAsync(PaymentErrorCodes.PaymentBusy, async () =>
            await service.VoidAsync(new VoidPaymentRequest(result.Payment.Id, NewKey()), default));
    }

    [Fact]
    public async Task When_every_provider_surely_failed_the_payment_fails_and_the_failure_is_replayed()
    {
        var down = new SimulatedPaymentProvider(new SimulatedPaymentProviderOptions { ErrorRate = 1 }, Time);
        var service = CreateService(Store, ("down", down, 0));
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(100), "tok_visa");

        var result = await service.AuthorizeAsync(request, default);
        var replay = await service.AuthorizeAsync(request, default);

        Assert.Equal(PaymentOutcome.Failed, result.Outcome);
        Assert.Equal(PaymentStatus.Failed, result.Payment.Status);
        Assert.True(replay.IsReplay);
        Assert.Equal(PaymentOutcome.Failed, replay.Outcome);
    }

    [Fact]
    public async Task Routing_follows_currency_and_amount_rules()
    {
        var euros = new SimulatedPaymentProvider(timeProvider: Time);
        var routed = new[]
        {
            new Routing.RoutedProvider("euros", euros, new Routing.PaymentProviderOptions { Currencies = { "EUR" }, MaxRetries = 0 }, Time),
            new Routing.RoutedProvider("alpha", Alpha, new Routing.PaymentProviderOptions { Priority = 1, MaxAmountMinor = 10_000, MaxRetries = 0 }, Time),
        };
        var service = new PaymentService(Store, new Routing.PaymentProviderRegistry(routed, []), Microsoft.Extensions.Options.Options.Create(new PaymentsOptions()), Time);

        var dollars = await service.AuthorizeAsync(new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(500), "tok_visa"), default);
        var eur = await service.AuthorizeAsync(new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Money.FromMinorUnits(500, "EUR"), "tok_visa"), default);

        Assert.Equal("alpha", dollars.Payment.Provider);
        Assert.Equal("euros", eur.Payment.Provider);
        await AssertCodeAsync(PaymentErrorCodes.NoProvider, async () =>
            await service.AuthorizeAsync(new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(20_000), "tok_visa"), default));
    }

    [Fact]
    public async Task Our_settled_operations_reconcile_against_the_psps_settlement_report()
    {
        var from = Time.GetUtcNow();
        var ids = new List<PaymentId>();
        for (var i = 0; i < 5; i++)
        {
            var id = (await AuthorizeAsync(1000 + i)).Payment.Id;
            ids.Add(id);
            await Payments.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(400)), default);
            await Payments.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(600 + i), IsFinal: true), default);
            if (i % 2 == 0)
            {
                await Payments.RefundAsync(new RefundPaymentRequest(id, NewKey(), Usd(100)), default);
            }
        }

        var ours = await Payments.StreamSettledOperationsAsync("alpha", from, Time.GetUtcNow().AddTicks(1), default).ToListAsync();
        var csv = new System.Text.StringBuilder("reference,type,amount,currency\n");
        foreach (var op in ours.Skip(1))
        {
            csv.Append(op.PspReference).Append(',').Append(op.Kind == Reconciliation.SettlementKind.Capture ? "capture" : "refund").Append(',')
                .Append(op.Amount.MinorUnits).Append(",USD\n");
        }

        csv.Append("sim_unknown,capture,5,USD\n");
        var format = new Reconciliation.SettlementReportFormat
        {
            PspReferenceColumn = "reference",
            TypeColumn = "type",
            CaptureTypes = ["capture"],
            RefundTypes = ["refund"],
            AmountColumn = "amount",
            CurrencyColumn = "currency",
        };
        using var report = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv.ToString()));

        var result = await new Reconciliation.SettlementReconciler(format).ReconcileAsync(ours.ToAsyncEnumerable(), report, default);

        Assert.Equal(13, ours.Count);
        Assert.Equal(1, result.Count(Reconciliation.DiscrepancyKind.MissingAtPsp));
        Assert.Equal(1, result.Count(Reconciliation.DiscrepancyKind.MissingOnOurSide));
        Assert.Equal(0, result.Count(Reconciliation.DiscrepancyKind.AmountMismatch));
    }
}
