using Commerce.Payments.Idempotency;
using Commerce.Payments.Providers.Simulated;
using Commerce.Payments.Webhooks;

namespace Commerce.Payments.Conformance;

public abstract partial class PaymentStoreConformance
{
    public static TheoryData<int, CrashPoint> AuthorizeCrashPoints => new()
    {
        { 1, CrashPoint.BeforeWrite }, // after the key is claimed, before the attempt is persisted
        { 1, CrashPoint.AfterWrite },  // after the attempt is persisted, before the PSP hears of it
        { 2, CrashPoint.BeforeWrite }, // after the PSP charged, before its answer is recorded
        { 2, CrashPoint.AfterWrite },  // after the answer is recorded, before the caller hears it
    };

    [Theory]
    [MemberData(nameof(AuthorizeCrashPoints))]
    public async Task A_crash_between_any_two_steps_of_an_authorization_resumes_on_retry_and_charges_once(int write, CrashPoint point)
    {
        var crashing = new CrashingPaymentStore(Store) { CrashAtWrite = write, Point = point };
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(900), "tok_visa");
        await Assert.ThrowsAsync<SimulatedCrashException>(async () => await CreateService(crashing, ("alpha", Alpha, 0)).AuthorizeAsync(request, default));

        if (point == CrashPoint.BeforeWrite || write == 1)
        {
            // The key's lease still stands: a retry now is told to wait, not answered from a half-done request.
            await AssertCodeAsync(PaymentErrorCodes.RequestInProgress, async () => await Payments.AuthorizeAsync(request, default));
        }

        PassTime(TimeSpan.FromSeconds(31));
        var retried = await Payments.AuthorizeAsync(request, default);
        var replay = await Payments.AuthorizeAsync(request, default);

        Assert.True(retried.Succeeded);
        Assert.Equal(PaymentStatus.Authorized, retried.Payment.Status);
        // With keys kept apart, the key's result was never saved: the retry finds the settled attempt in the payments.
        Assert.Equal(point == CrashPoint.AfterWrite && write == 2 && KeysWithPayments, retried.IsReplay);
        Assert.True(replay.IsReplay);
        Assert.Equal(1, Alpha.Authorizations);
        Assert.Equal(1, Alpha.AuthorizationsFor(PaymentReference.Format(request.PaymentId, 1)));
        Assert.Single(retried.Payment.Attempts);
    }

    [Theory]
    [InlineData(1, CrashPoint.BeforeWrite)]
    [InlineData(1, CrashPoint.AfterWrite)]
    [InlineData(2, CrashPoint.BeforeWrite)]
    [InlineData(2, CrashPoint.AfterWrite)]
    public async Task A_crash_between_any_two_steps_of_a_capture_resumes_on_retry_and_captures_once(int write, CrashPoint point)
    {
        var id = (await AuthorizeAsync(1000)).Payment.Id;
        var crashing = new CrashingPaymentStore(Store) { CrashAtWrite = write, Point = point };
        var request = new CapturePaymentRequest(id, NewKey(), Usd(400));
        await Assert.ThrowsAsync<SimulatedCrashException>(async () => await CreateService(crashing, ("alpha", Alpha, 0)).CaptureAsync(request, default));

        PassTime(TimeSpan.FromSeconds(31));
        var retried = await Payments.CaptureAsync(request, default);

        Assert.True(retried.Succeeded);
        Assert.Equal(400, retried.Payment.CapturedMinor);
        Assert.Equal(1, Alpha.Captures);
        Assert.Equal(400, Alpha.Find(PaymentReference.Format(id, 1))!.Value.Captured);
        Assert.Single(await Store.GetJournalAsync(id, default));
    }

    [Fact]
    public async Task The_resolver_settles_an_attempt_abandoned_by_a_crash_after_the_psp_charged()
    {
        var crashing = new CrashingPaymentStore(Store) { CrashAtWrite = 2, Point = CrashPoint.BeforeWrite };
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(900), "tok_visa");
        await Assert.ThrowsAsync<SimulatedCrashException>(async () => await CreateService(crashing, ("alpha", Alpha, 0)).AuthorizeAsync(request, default));

        Assert.Equal(ResolutionResult.NothingToDo, await Payments.ResolveAsync(request.PaymentId, default));
        PassTime(TimeSpan.FromSeconds(31));
        Assert.Equal(ResolutionResult.Settled, await Payments.ResolveAsync(request.PaymentId, default));
        var retried = await Payments.AuthorizeAsync(request, default);

        Assert.Equal(PaymentStatus.Authorized, (await Store.GetAsync(request.PaymentId, default))!.Status);
        Assert.True(retried.Succeeded);
        // The resolver sent the pending attempt again with its PSP key (its request could still have been alive): the
        // PSP answered from the first send, so the buyer was charged once.
        Assert.Equal(2, Alpha.Calls);
        Assert.Equal(1, Alpha.Authorizations);
        Assert.Equal(1, Alpha.AuthorizationsFor(PaymentReference.Format(request.PaymentId, 1)));
    }

    [Fact]
    public async Task A_request_stalled_past_its_lease_before_sending_is_never_settled_as_failed_behind_its_back()
    {
        var pausing = new PausingPaymentProvider(Alpha);
        var service = CreateService(Store, ("alpha", pausing, 0));
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(700), "tok_visa");
        var stalled = service.AuthorizeAsync(request, default).AsTask();
        await pausing.Paused; // its attempt is persisted, pending; the PSP has not heard of it

        // Past the key lease the request looks dead to the resolver, which acts; then the request wakes up and sends.
        PassTime(TimeSpan.FromSeconds(31));
        var resolution = await service.ResolveAsync(request.PaymentId, default);
        pausing.Resume();
        var result = await stalled;

        var payment = await Store.GetAsync(request.PaymentId, default);
        Assert.Equal(ResolutionResult.Settled, resolution);
        Assert.True(result.Succeeded);
        Assert.Equal(PaymentStatus.Authorized, payment!.Status);
        Assert.Equal(1, Alpha.Authorizations);
        Assert.Equal(1, Alpha.AuthorizationsFor(PaymentReference.Format(request.PaymentId, 1)));
    }

    [Fact]
    public async Task An_unknown_authorization_is_settled_by_the_resolver_from_the_psp_status()
    {
        var result = await AuthorizeAsync(600, method: SimulatedPaymentProvider.LostResponseToken);
        Assert.Equal(PaymentStatus.Unknown, result.Payment.Status);

        Assert.Equal(ResolutionResult.NothingToDo, await Payments.ResolveAsync(result.Payment.Id, default));
        PassTime(TimeSpan.FromSeconds(6));
        Assert.Equal(ResolutionResult.Settled, await Payments.ResolveAsync(result.Payment.Id, default));

        var payment = await Store.GetAsync(result.Payment.Id, default);
        Assert.Equal(PaymentStatus.Authorized, payment!.Status);
        Assert.Equal(600, payment.AuthorizedMinor);
        Assert.NotNull(payment.Attempts[0].PspReference);
    }

    [Fact]
    public async Task An_attempt_is_failed_only_when_the_psp_confirms_it_has_no_record_never_because_time_passed()
    {
        var lost = new SimulatedPaymentProvider(new SimulatedPaymentProviderOptions { TimeoutRate = 1, StatusErrorRate = 1 }, Time);
        var service = CreateService(Store, ("lost", lost, 0));
        var result = await AuthorizeAsync(600, service);

        for (var i = 0; i < 5; i++)
        {
            PassTime(TimeSpan.FromMinutes(30));
            Assert.Equal(ResolutionResult.Postponed, await service.ResolveAsync(result.Payment.Id, default));
        }

        var stillUnknown = await Store.GetAsync(result.Payment.Id, default);
        Assert.Equal(PaymentStatus.Unknown, stillUnknown!.Status);
        Assert.Equal(5, stillUnknown.Attempts[0].ResolveTries);

        var answering = new SimulatedPaymentProvider(timeProvider: Time);
        var recovered = CreateService(Store, ("lost", answering, 0));
        PassTime(TimeSpan.FromMinutes(30));
        Assert.Equal(ResolutionResult.Settled, await recovered.ResolveAsync(result.Payment.Id, default));
        var failed = await Store.GetAsync(result.Payment.Id, default);
        Assert.Equal(PaymentStatus.Failed, failed!.Status);
        Assert.Equal("not_found_at_provider", failed.Attempts[0].FailureCode);
    }

    [Fact]
    public async Task A_retry_of_an_unknown_request_resumes_it_with_the_same_psp_key()
    {
        var flaky = new SimulatedPaymentProvider(new SimulatedPaymentProviderOptions { Seed = 3, LostResponseRate = 0.5 }, Time);
        var service = CreateService(Store, ("flaky", flaky, 0));
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(250), "tok_visa");

        PaymentResult result;
        var tries = 0;
        do
        {
            result = await service.AuthorizeAsync(request, default);
            tries++;
        }
        while (result.Outcome == PaymentOutcome.Pending && tries < 50);

        Assert.True(result.Succeeded);
        Assert.Single(result.Payment.Attempts);
        Assert.Equal(1, flaky.AuthorizationsFor(PaymentReference.Format(request.PaymentId, 1)));
    }

    [Fact]
    public async Task A_webhook_settles_an_unknown_authorization_and_its_duplicate_changes_nothing()
    {
        var service = CreateService(Store, new PaymentsOptions(), [KeyValuePair.Create<string, IPaymentWebhookParser>("alpha", new TestWebhookParser())], ("alpha", Alpha, 0));
        var result = await AuthorizeAsync(600, service, SimulatedPaymentProvider.LostResponseToken);
        var reference = PaymentReference.Format(result.Payment.Id, 1);

        var first = await service.HandleWebhookAsync("alpha", TestWebhookParser.Request(("evt_1", WebhookEventKind.Authorized, reference)), default);
        var afterFirst = await Store.GetAsync(result.Payment.Id, default);
        var second = await service.HandleWebhookAsync("alpha", TestWebhookParser.Request(("evt_1", WebhookEventKind.Authorized, reference)), default);

        Assert.Equal(new WebhookResult(1, 0, 0), first);
        Assert.Equal(new WebhookResult(0, 1, 0), second);
        Assert.Equal(PaymentStatus.Authorized, afterFirst!.Status);
        Assert.Equal(afterFirst, await Store.GetAsync(result.Payment.Id, default));
    }

    [Fact]
    public async Task A_late_or_out_of_order_webhook_never_overwrites_a_settled_state()
    {
        var service = CreateService(Store, new PaymentsOptions(), [KeyValuePair.Create<string, IPaymentWebhookParser>("alpha", new TestWebhookParser())], ("alpha", Alpha, 0));
        var id = (await AuthorizeAsync(600, service)).Payment.Id;
        await service.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(600)), default);
        var reference = PaymentReference.Format(id, 1);
        var before = await Store.GetAsync(id, default);

        var result = await service.HandleWebhookAsync("alpha", TestWebhookParser.Request(
            ("evt_a", WebhookEventKind.AuthorizationDeclined, reference),
            ("evt_b", WebhookEventKind.Refunded, reference),
            ("evt_c", WebhookEventKind.Voided, reference),
            ("evt_d", WebhookEventKind.Captured, "unknown-payment.1")), default);

        Assert.Equal(new WebhookResult(0, 0, 4), result);
        Assert.Equal(before, await Store.GetAsync(id, default));
        Assert.True(await Store.IsWebhookRecordedAsync("alpha", "evt_b", default));
    }

    [Fact]
    public async Task A_webhook_racing_the_capture_call_captures_once()
    {
        var service = CreateService(Store, new PaymentsOptions(), [KeyValuePair.Create<string, IPaymentWebhookParser>("alpha", new TestWebhookParser())], ("alpha", Alpha, 0));
        var id = (await AuthorizeAsync(1000, service)).Payment.Id;
        var reference = PaymentReference.Format(id, 1);

        for (var round = 0; round < 10; round++)
        {
            var capture = Task.Run(async () => await service.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(100)), default));
            var hook = Task.Run(async () => await service.HandleWebhookAsync(
                "alpha", TestWebhookParser.Request(($"evt_{round}", WebhookEventKind.Captured, reference)), default));
            var result = await capture;
            await hook;
            Assert.True(result.Succeeded);
        }

        var payment = await Store.GetAsync(id, default);
        Assert.Equal(1000, payment!.CapturedMinor);
        Assert.Equal(1000, Alpha.Find(reference)!.Value.Captured);
        Assert.Equal(10, (await Store.GetJournalAsync(id, default)).Count);
    }

    [Fact]
    public async Task Unsigned_malformed_or_oversized_webhooks_are_refused_and_store_nothing()
    {
        var service = CreateService(Store, new PaymentsOptions { MaxWebhookBytes = 64 }, [KeyValuePair.Create<string, IPaymentWebhookParser>("alpha", new TestWebhookParser())], ("alpha", Alpha, 0));
        var unsigned = new PaymentWebhookRequest("[]"u8.ToArray(), new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));
        var malformed = new PaymentWebhookRequest("{"u8.ToArray(), new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["X-Test-Signature"] = "valid" });
        var oversized = new PaymentWebhookRequest(new byte[65], new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["X-Test-Signature"] = "valid" });

        await AssertCodeAsync(PaymentErrorCodes.WebhookSignatureInvalid, async () => await service.HandleWebhookAsync("alpha", unsigned, default));
        await AssertCodeAsync(PaymentErrorCodes.WebhookMalformed, async () => await service.HandleWebhookAsync("alpha", malformed, default));
        await AssertCodeAsync(PaymentErrorCodes.WebhookTooLarge, async () => await service.HandleWebhookAsync("alpha", oversized, default));
        await AssertCodeAsync(PaymentErrorCodes.UnknownProvider, async () => await service.HandleWebhookAsync("beta", unsigned, default));
    }

    [Fact]
    public async Task One_hundred_identical_requests_at_once_charge_once()
    {
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(1234), "tok_visa");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            try
            {
                return (await Payments.AuthorizeAsync(request, default)).IsReplay ? "replay" : "first";
            }
            catch (CommerceException ex) when (ex.Code == PaymentErrorCodes.RequestInProgress)
            {
                return "in_progress";
            }
        })));

        Assert.Equal(1, outcomes.Count(o => o == "first"));
        Assert.Equal(99, outcomes.Count(o => o is "replay" or "in_progress"));
        Assert.Equal(1, Alpha.Authorizations);
        Assert.Equal(1, Alpha.Calls);
        var key = await Keys.GetKeyAsync(request.IdempotencyKey.Value, default);
        Assert.Equal(IdempotencyState.Completed, key!.Value.State);
    }

    [Fact]
    public async Task A_stale_not_found_never_fails_an_attempt_that_a_retry_sent_meanwhile()
    {
        // The first send times out before the PSP processed it. The resolver's status query finds nothing; while its
        // answer travels back, the client's retry resends the attempt and the PSP authorizes it, and the retry's own
        // write comes after the resolver's. The resolver must not record "failed" over a send it did not see.
        var psp = new SimulatedPaymentProvider(new SimulatedPaymentProviderOptions { Seed = 11 }, Time);
        var racing = new StaleStatusProvider(psp);
        var service = CreateService(Store, ("racing", racing, 0));
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(700), "tok_visa");
        racing.TimeOutNextSend = true;
        var first = await service.AuthorizeAsync(request, default);
        Assert.Equal(PaymentOutcome.Pending, first.Outcome);
        Task<PaymentResult>? retry = null;
        racing.DuringStatusQuery = async () =>
        {
            racing.HoldNextSend = true;
            retry = Task.Run(async () => await service.AuthorizeAsync(request, default));
            await racing.Processed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        };

        PassTime(TimeSpan.FromSeconds(6));
        var resolution = await service.ResolveAsync(request.PaymentId, default);
        racing.Release.SetResult();
        var retried = await retry!;

        var payment = await Store.GetAsync(request.PaymentId, default);
        Assert.Equal(ResolutionResult.Postponed, resolution);
        Assert.True(retried.Succeeded);
        Assert.Equal(PaymentStatus.Authorized, payment!.Status);
        Assert.Equal(1, psp.AuthorizationsFor(PaymentReference.Format(request.PaymentId, 1)));
    }

    /// <summary>A provider whose status answer is taken before a hook runs, so the answer is stale when it returns.</summary>
    private sealed class StaleStatusProvider(SimulatedPaymentProvider inner) : Providers.IPaymentProvider
    {
        public bool TimeOutNextSend { get; set; }

        public bool HoldNextSend { get; set; }

        public TaskCompletionSource Processed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Func<Task>? DuringStatusQuery { get; set; }

        public ValueTask<Providers.ProviderResult> AuthorizeAsync(Providers.ProviderAuthorizeRequest request, CancellationToken cancellationToken)
        {
            if (TimeOutNextSend)
            {
                TimeOutNextSend = false;
                return new(Providers.ProviderResult.Unknown("timeout", "Timed out before the PSP processed it."));
            }

            return HoldNextSend ? HeldAsync(request, cancellationToken) : inner.AuthorizeAsync(request, cancellationToken);
        }

        private async ValueTask<Providers.ProviderResult> HeldAsync(Providers.ProviderAuthorizeRequest request, CancellationToken cancellationToken)
        {
            HoldNextSend = false;
            var result = await inner.AuthorizeAsync(request, cancellationToken);
            Processed.SetResult();
            await Release.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            return result;
        }

        public ValueTask<Providers.ProviderResult> CaptureAsync(Providers.ProviderCaptureRequest request, CancellationToken cancellationToken) =>
            inner.CaptureAsync(request, cancellationToken);

        public ValueTask<Providers.ProviderResult> VoidAsync(Providers.ProviderVoidRequest request, CancellationToken cancellationToken) =>
            inner.VoidAsync(request, cancellationToken);

        public ValueTask<Providers.ProviderResult> RefundAsync(Providers.ProviderRefundRequest request, CancellationToken cancellationToken) =>
            inner.RefundAsync(request, cancellationToken);

        public async ValueTask<Providers.ProviderStatus> GetStatusAsync(Providers.ProviderStatusRequest request, CancellationToken cancellationToken)
        {
            var status = await inner.GetStatusAsync(request, cancellationToken);
            if (DuringStatusQuery is { } hook)
            {
                DuringStatusQuery = null;
                await hook();
            }

            return status;
        }
    }
}
