using Commerce.Payments.Idempotency;
using Commerce.Payments.InMemory;
using Commerce.Payments.Storage;

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

/// <summary>A claim that reads its payment in the same call (both payment stores here do) sees what a read right after it would.</summary>
public abstract partial class PaymentStoreConformance
{
    [Fact]
    public async Task A_claim_with_its_payment_answers_as_a_claim_then_a_read_would()
    {
        // Only a store holding the keys itself claims with the payment: its own keys, whatever key store the service uses.
        var claims = Assert.IsAssignableFrom<IKeyClaimWithPayment>(Store);
        var keys = Assert.IsAssignableFrom<IIdempotencyKeyStore>(Store);
        var now = Time.GetUtcNow();
        var authorized = await AuthorizeAsync(1000);
        var missing = NewPaymentId();

        // Concurrent claims, with and without the read, of existing and missing payments, share batches where the store batches.
        var calls = Enumerable.Range(0, 40).Select(async i =>
        {
            var candidate = Candidate(NewKey().Value, i % 2 == 0 ? authorized.Payment.Id : missing, now);
            if (i % 4 < 2)
            {
                return (i, await claims.ClaimKeyWithPaymentAsync(candidate, now, default), true);
            }

            return (i, new KeyClaimWithPayment(await keys.ClaimKeyAsync(candidate, now, default), null), false);
        }).ToList();
        foreach (var (i, answer, read) in await Task.WhenAll(calls))
        {
            Assert.Equal(IdempotencyClaimStatus.Claimed, answer.Claim.Status);
            if (read && i % 2 == 0)
            {
                Assert.Equal(await Store.GetAsync(authorized.Payment.Id, default), answer.Payment);
            }
            else
            {
                Assert.Null(answer.Payment);
            }
        }

        // A completed key replays with the payment as it is now; a mismatch and a held key claim nothing.
        var key = NewKey().Value;
        var first = await claims.ClaimKeyWithPaymentAsync(Candidate(key, authorized.Payment.Id, now), now, default);
        await keys.SaveKeyAsync(first.Claim.Record with { State = IdempotencyState.Completed, AttemptNumber = 1, Result = new StoredPaymentResult(PaymentOutcome.Succeeded, PaymentStatus.Authorized, 1, null, null) }, default);
        var replay = await claims.ClaimKeyWithPaymentAsync(Candidate(key, authorized.Payment.Id, now), now, default);
        Assert.Equal(IdempotencyClaimStatus.Completed, replay.Claim.Status);
        Assert.Equal(authorized.Payment, replay.Payment);
        var held = NewKey().Value;
        await claims.ClaimKeyWithPaymentAsync(Candidate(held, missing, now), now, default);
        Assert.Equal(IdempotencyClaimStatus.InProgress, (await claims.ClaimKeyWithPaymentAsync(Candidate(held, missing, now), now, default)).Claim.Status);
        var mismatch = await claims.ClaimKeyWithPaymentAsync(Candidate(held, missing, now) with { Fingerprint = Guid.NewGuid() }, now, default);
        Assert.Equal(IdempotencyClaimStatus.FingerprintMismatch, mismatch.Claim.Status);
    }

    [Fact]
    public async Task A_claim_that_finds_its_key_completed_carries_the_payment_that_completed_it()
    {
        // The read comes after the claim: a claim that sees the key completed must see the write that completed it.
        var claims = Assert.IsAssignableFrom<IKeyClaimWithPayment>(Store);
        var now = Time.GetUtcNow();
        for (var round = 0; round < 20; round++)
        {
            var id = NewPaymentId();
            var created = NewPayment(id);
            await Store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, default);
            var key = NewKey().Value;
            var held = await claims.ClaimKeyWithPaymentAsync(Candidate(key, id, now), now, default);
            var completed = held.Claim.Record with
            {
                State = IdempotencyState.Completed,
                AttemptNumber = 1,
                Result = new StoredPaymentResult(PaymentOutcome.Succeeded, PaymentStatus.Authorized, 1, null, null),
            };

            var racing = Enumerable.Range(0, 8)
                .Select(_ => Task.Run(async () => await claims.ClaimKeyWithPaymentAsync(Candidate(key, id, now), now, default)))
                .ToList();
            var write = Task.Run(async () => await Store.WriteAsync(new PaymentWrite { Payment = created with { Version = 2 }, ExpectedVersion = 1, Key = completed }, default));
            Assert.Equal(PaymentWriteStatus.Written, await write);
            var answers = (await Task.WhenAll(racing)).Append(await claims.ClaimKeyWithPaymentAsync(Candidate(key, id, now), now, default)).ToList();

            Assert.Equal(IdempotencyClaimStatus.Completed, answers[^1].Claim.Status);
            foreach (var answer in answers)
            {
                Assert.Contains(answer.Claim.Status, new[] { IdempotencyClaimStatus.InProgress, IdempotencyClaimStatus.Completed });
                if (answer.Claim.Status == IdempotencyClaimStatus.Completed)
                {
                    Assert.Equal(2, answer.Payment!.Version);
                }
            }
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_payment_changed_between_the_claim_and_the_operation_is_read_again()
    {
        // The claim's payment is only the first pass's: a write that lost to a concurrent one reads the payment again.
        var racing = new CrashingPaymentStore(Store);
        var service = CreateService(racing, ("alpha", Alpha, 0));
        var authorized = await AuthorizeAsync(1000, service);
        var id = authorized.Payment.Id;
        var interleaved = false;
        racing.AfterClaimWithPayment = async () =>
        {
            racing.AfterClaimWithPayment = null;
            var current = (await Store.GetAsync(id, default))!;
            var touched = current with { Version = current.Version + 1, UpdatedAt = current.UpdatedAt.AddSeconds(1) };
            Assert.Equal(PaymentWriteStatus.Written, await Store.WriteAsync(new PaymentWrite { Payment = touched, ExpectedVersion = current.Version }, default));
            interleaved = true;
        };

        var captured = await service.CaptureAsync(new CapturePaymentRequest(id, NewKey(), Usd(400)), default);

        Assert.True(captured.Succeeded);
        Assert.Equal(KeysWithPayments, interleaved);
        Assert.Equal(authorized.Payment.Version + (interleaved ? 3 : 2), captured.Payment.Version);
        Assert.Equal(400, (await Store.GetAsync(id, default))!.CapturedMinor);
        Assert.Equal(1, Alpha.Captures);
    }

    private static IdempotencyRecord Candidate(string key, PaymentId paymentId, DateTimeOffset now) => new()
    {
        Key = key,
        Operation = PaymentOperation.Capture,
        Fingerprint = new Guid(7, 0, 0, [0, 0, 0, 0, 0, 0, 0, 1]),
        PaymentId = paymentId,
        State = IdempotencyState.InProgress,
        LeaseExpiresAt = now + TimeSpan.FromMinutes(1),
        CreatedAt = now,
    };
}
