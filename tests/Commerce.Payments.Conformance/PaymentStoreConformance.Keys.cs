using Commerce.Payments.Idempotency;
using Commerce.Payments.InMemory;

namespace Commerce.Payments.Conformance;

/// <summary>
/// The payment store as the source of truth for what a key did: every attempt records its request's key, so losing
/// key records (a separate key store's failover, a crash between the payment write and the key write) costs a
/// replay from the payments, never a second charge.
/// </summary>
public abstract partial class PaymentStoreConformance
{
    [Fact]
    public async Task A_retry_after_the_key_records_were_lost_replays_from_the_payments_and_charges_once()
    {
        var authorize = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(1000), "tok_visa");
        var capture = new CapturePaymentRequest(authorize.PaymentId, NewKey(), Usd(400));
        var first = await Payments.AuthorizeAsync(authorize, default);
        var captured = await Payments.CaptureAsync(capture, default);

        // Every key record gone, as after a key store that failed over without them.
        var amnesic = CreateServiceWithKeys(new InMemoryIdempotencyKeyStore(), ("alpha", Alpha, 0));
        var authorizeAgain = await amnesic.AuthorizeAsync(authorize, default);
        var captureAgain = await amnesic.CaptureAsync(capture, default);

        Assert.True(first.Succeeded && captured.Succeeded);
        Assert.Equal((first.Outcome, first.AttemptNumber), (authorizeAgain.Outcome, authorizeAgain.AttemptNumber));
        Assert.Equal((captured.Outcome, captured.AttemptNumber), (captureAgain.Outcome, captureAgain.AttemptNumber));
        Assert.Equal(400, captureAgain.Payment.CapturedMinor);
        Assert.Equal(2, captureAgain.Payment.Attempts.Length);
        Assert.Equal((1, 1, 2), (Alpha.Authorizations, Alpha.Captures, Alpha.Calls));
        Assert.Single(await Store.GetJournalAsync(authorize.PaymentId, default));
    }

    [Fact]
    public async Task A_lost_key_reused_with_another_body_on_the_same_payment_is_refused_and_writes_nothing()
    {
        var id = (await AuthorizeAsync(1000)).Payment.Id;
        var key = NewKey();
        await Payments.CaptureAsync(new CapturePaymentRequest(id, key, Usd(400)), default);
        var amnesic = CreateServiceWithKeys(new InMemoryIdempotencyKeyStore(), ("alpha", Alpha, 0));
        var before = await Store.GetAsync(id, default);

        await AssertCodeAsync(PaymentErrorCodes.IdempotencyKeyReused, async () => await amnesic.CaptureAsync(new CapturePaymentRequest(id, key, Usd(500)), default));
        await AssertCodeAsync(PaymentErrorCodes.IdempotencyKeyReused, async () => await amnesic.RefundAsync(new RefundPaymentRequest(id, key, Usd(400)), default));

        Assert.Equal(before, await Store.GetAsync(id, default));
        Assert.Equal(1, Alpha.Captures);
        Assert.Equal(0, Alpha.Refunds);
    }

    [Fact]
    public async Task A_crash_after_the_psp_charged_and_a_lost_key_still_capture_once_with_the_same_psp_key()
    {
        var id = (await AuthorizeAsync(1000)).Payment.Id;
        var crashing = new CrashingPaymentStore(Store) { CrashAtWrite = 2, Point = CrashPoint.BeforeWrite };
        var request = new CapturePaymentRequest(id, NewKey(), Usd(300));
        await Assert.ThrowsAsync<SimulatedCrashException>(async () => await CreateService(crashing, ("alpha", Alpha, 0)).CaptureAsync(request, default));

        var amnesic = CreateServiceWithKeys(new InMemoryIdempotencyKeyStore(), ("alpha", Alpha, 0));
        var retried = await amnesic.CaptureAsync(request, default);

        Assert.True(retried.Succeeded);
        Assert.Equal(300, retried.Payment.CapturedMinor);
        Assert.Equal(2, retried.Payment.Attempts.Length);
        Assert.Equal(1, Alpha.Captures);
        Assert.Equal(300, Alpha.Find(PaymentReference.Format(id, 1))!.Value.Captured);
    }

    [Fact]
    public async Task A_key_store_failing_after_the_payment_write_still_answers_and_a_retry_returns_the_first_outcome()
    {
        var failing = new FailingKeyStore(new InMemoryIdempotencyKeyStore());
        var service = CreateServiceWithKeys(failing, ("alpha", Alpha, 0));
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(800), "tok_visa");

        var first = await service.AuthorizeAsync(request, default);
        await AssertCodeAsync(PaymentErrorCodes.RequestInProgress, async () => await service.AuthorizeAsync(request, default));
        PassTime(TimeSpan.FromSeconds(31));
        failing.FailSaves = false;
        var retried = await service.AuthorizeAsync(request, default);
        var replay = await service.AuthorizeAsync(request, default);

        Assert.True(first.Succeeded && retried.Succeeded && replay.Succeeded);
        Assert.True(replay.IsReplay);
        Assert.Equal(1, Alpha.Authorizations);
        Assert.Equal(1, Alpha.Calls);
    }

    /// <summary>A key store whose saves fail (the store is unreachable) until told otherwise.</summary>
    private sealed class FailingKeyStore(IIdempotencyKeyStore inner) : IIdempotencyKeyStore
    {
        public bool FailSaves { get; set; } = true;

        public ValueTask<IdempotencyClaim> ClaimKeyAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.ClaimKeyAsync(candidate, now, cancellationToken);

        public ValueTask ReleaseKeyAsync(string key, bool forget, CancellationToken cancellationToken) => inner.ReleaseKeyAsync(key, forget, cancellationToken);

        public ValueTask SaveKeyAsync(IdempotencyRecord record, CancellationToken cancellationToken) =>
            FailSaves ? throw new IOException("The key store is unreachable.") : inner.SaveKeyAsync(record, cancellationToken);

        public ValueTask<IdempotencyRecord?> GetKeyAsync(string key, CancellationToken cancellationToken) => inner.GetKeyAsync(key, cancellationToken);

        public ValueTask<int> ReapKeysAsync(DateTimeOffset createdBefore, int maxCount, CancellationToken cancellationToken) =>
            inner.ReapKeysAsync(createdBefore, maxCount, cancellationToken);
    }
}
