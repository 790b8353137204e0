using Commerce.Payments.Idempotency;
using Commerce.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Payments.Conformance;

/// <summary>
/// The behaviour every <see cref="IIdempotencyKeyStore"/> must have, checked against the key store alone: atomic
/// claims with fingerprints and leases, one holder among concurrent claims, results kept and replayed, old keys
/// forgotten. A provider's test class derives from this and only says how to build a store.
/// </summary>
public abstract class IdempotencyKeyStoreConformance : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];

    /// <summary>The clock the tests read; they move it to expire leases.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The key store under test.</summary>
    protected IIdempotencyKeyStore KeyStore { get; private set; } = null!;

    /// <summary>
    /// Whether old keys are forgotten through <see cref="IIdempotencyKeyStore.ReapKeysAsync"/>; false for a store whose
    /// keys expire by themselves (Redis), which tests its expiry in its own tests.
    /// </summary>
    protected virtual bool ReapsKeys => true;

    /// <summary>Builds a fresh, empty key store.</summary>
    protected abstract ValueTask<IIdempotencyKeyStore> CreateKeyStoreAsync(TimeProvider timeProvider);

    /// <summary>Registers something to dispose after the test.</summary>
    protected void RegisterForDispose(IAsyncDisposable disposable) => _disposables.Add(disposable);

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync() => KeyStore = await CreateKeyStoreAsync(Time);

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Moves the clock.</summary>
    protected void PassTime(TimeSpan by) => Time.Advance(by);

    protected IdempotencyRecord KeyRecord(string key, string fingerprint = "fp-1", TimeSpan? lease = null) => new()
    {
        Key = key,
        Operation = PaymentOperation.Authorize,
        Fingerprint = TestFingerprints.Of(fingerprint),
        PaymentId = new PaymentId("pay-key"),
        State = IdempotencyState.InProgress,
        LeaseExpiresAt = Time.GetUtcNow() + (lease ?? TimeSpan.FromSeconds(30)),
        CreatedAt = Time.GetUtcNow(),
    };

    [Fact]
    public async Task A_new_key_is_claimed_and_a_second_claim_sees_it_in_progress()
    {
        var first = await KeyStore.ClaimKeyAsync(KeyRecord("k1"), Time.GetUtcNow(), default);
        var second = await KeyStore.ClaimKeyAsync(KeyRecord("k1"), Time.GetUtcNow(), default);

        Assert.Equal(IdempotencyClaimStatus.Claimed, first.Status);
        Assert.Equal(IdempotencyClaimStatus.InProgress, second.Status);
    }

    [Fact]
    public async Task A_key_claimed_with_another_fingerprint_is_a_mismatch()
    {
        await KeyStore.ClaimKeyAsync(KeyRecord("k2", "fp-a"), Time.GetUtcNow(), default);
        var claim = await KeyStore.ClaimKeyAsync(KeyRecord("k2", "fp-b"), Time.GetUtcNow(), default);

        Assert.Equal(IdempotencyClaimStatus.FingerprintMismatch, claim.Status);
    }

    [Fact]
    public async Task An_expired_lease_or_an_open_key_is_resumed_and_a_forgotten_key_starts_afresh()
    {
        await KeyStore.ClaimKeyAsync(KeyRecord("k3"), Time.GetUtcNow(), default);
        PassTime(TimeSpan.FromSeconds(31));
        var afterLease = await KeyStore.ClaimKeyAsync(KeyRecord("k3"), Time.GetUtcNow(), default);
        await KeyStore.ReleaseKeyAsync("k3", forget: false, default);
        var afterRelease = await KeyStore.ClaimKeyAsync(KeyRecord("k3"), Time.GetUtcNow(), default);
        await KeyStore.ReleaseKeyAsync("k3", forget: true, default);
        var afterForget = await KeyStore.ClaimKeyAsync(KeyRecord("k3"), Time.GetUtcNow(), default);

        Assert.Equal(IdempotencyClaimStatus.Resumed, afterLease.Status);
        Assert.Equal(IdempotencyClaimStatus.Resumed, afterRelease.Status);
        Assert.Equal(IdempotencyClaimStatus.Claimed, afterForget.Status);
    }

    [Fact]
    public async Task A_completed_key_returns_its_result()
    {
        await KeyStore.ClaimKeyAsync(KeyRecord("k4"), Time.GetUtcNow(), default);
        var result = new StoredPaymentResult(PaymentOutcome.Declined, PaymentStatus.Failed, 1, "card_declined", "no");
        await KeyStore.SaveKeyAsync(KeyRecord("k4") with { State = IdempotencyState.Completed, Result = result, AttemptNumber = 1 }, default);

        var claim = await KeyStore.ClaimKeyAsync(KeyRecord("k4"), Time.GetUtcNow(), default);

        Assert.Equal(IdempotencyClaimStatus.Completed, claim.Status);
        Assert.Equal(result, claim.Record.Result);
        Assert.Equal(1, claim.Record.AttemptNumber);
    }

    [Fact]
    public async Task Concurrent_claims_of_one_key_yield_exactly_one_holder()
    {
        var claims = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            Task.Run(async () => await KeyStore.ClaimKeyAsync(KeyRecord("k5"), Time.GetUtcNow(), default))));

        Assert.Equal(1, claims.Count(c => c.Status == IdempotencyClaimStatus.Claimed));
        Assert.Equal(99, claims.Count(c => c.Status == IdempotencyClaimStatus.InProgress));
    }

    [Fact]
    public async Task Old_keys_that_nobody_holds_are_reaped()
    {
        await KeyStore.ClaimKeyAsync(KeyRecord("old-open"), Time.GetUtcNow(), default);
        await KeyStore.ReleaseKeyAsync("old-open", forget: false, default);
        await KeyStore.ClaimKeyAsync(KeyRecord("old-held", lease: TimeSpan.FromDays(3)), Time.GetUtcNow(), default);
        PassTime(TimeSpan.FromDays(2));
        await KeyStore.ClaimKeyAsync(KeyRecord("young"), Time.GetUtcNow(), default);
        await KeyStore.ReleaseKeyAsync("young", forget: false, default);

        var reaped = await KeyStore.ReapKeysAsync(Time.GetUtcNow() - TimeSpan.FromDays(1), 100, default);

        // A store whose keys expire by themselves (Redis TTLs, covered by its own tests) reaps nothing here, and
        // must not remove a held or young key either.
        Assert.Equal(ReapsKeys ? 1 : 0, reaped);
        if (ReapsKeys)
        {
            Assert.Null(await KeyStore.GetKeyAsync("old-open", default));
        }

        Assert.NotNull(await KeyStore.GetKeyAsync("old-held", default));
        Assert.NotNull(await KeyStore.GetKeyAsync("young", default));
    }

    [Fact]
    public async Task A_saved_record_reads_back_field_for_field()
    {
        var claimed = await KeyStore.ClaimKeyAsync(KeyRecord("k6") with { Operation = PaymentOperation.Refund }, Time.GetUtcNow(), default);
        var completed = claimed.Record with
        {
            State = IdempotencyState.Completed,
            AttemptNumber = 3,
            Result = new StoredPaymentResult(PaymentOutcome.Succeeded, PaymentStatus.PartiallyRefunded, 3, null, null),
        };
        await KeyStore.SaveKeyAsync(completed, default);
        var open = KeyRecord("k7") with { State = IdempotencyState.Open, Result = new StoredPaymentResult(PaymentOutcome.Declined, PaymentStatus.Failed, 1, "card_declined", "Declined: \"quoted\", ünïcode") };
        await KeyStore.SaveKeyAsync(open, default);

        Assert.Equal(completed, await KeyStore.GetKeyAsync("k6", default));
        Assert.Equal(open, await KeyStore.GetKeyAsync("k7", default));
        Assert.Null(await KeyStore.GetKeyAsync("k-missing", default));
    }

    [Fact]
    public async Task A_completed_key_is_never_taken_over_or_forgotten_by_a_release()
    {
        await KeyStore.ClaimKeyAsync(KeyRecord("k8"), Time.GetUtcNow(), default);
        var result = new StoredPaymentResult(PaymentOutcome.Succeeded, PaymentStatus.Authorized, 1, null, null);
        await KeyStore.SaveKeyAsync(KeyRecord("k8") with { State = IdempotencyState.Completed, Result = result, AttemptNumber = 1 }, default);
        await KeyStore.ReleaseKeyAsync("k8", forget: true, default);
        await KeyStore.ReleaseKeyAsync("k8", forget: false, default);
        PassTime(TimeSpan.FromMinutes(5));

        var claim = await KeyStore.ClaimKeyAsync(KeyRecord("k8"), Time.GetUtcNow(), default);

        Assert.Equal(IdempotencyClaimStatus.Completed, claim.Status);
        Assert.Equal(result, claim.Record.Result);
    }

    [Fact]
    public async Task Concurrent_claims_of_an_expired_lease_yield_exactly_one_taker()
    {
        await KeyStore.ClaimKeyAsync(KeyRecord("k9"), Time.GetUtcNow(), default);
        PassTime(TimeSpan.FromSeconds(31));
        var now = Time.GetUtcNow();

        var claims = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            Task.Run(async () => await KeyStore.ClaimKeyAsync(KeyRecord("k9"), now, default))));

        Assert.Equal(1, claims.Count(c => c.Status == IdempotencyClaimStatus.Resumed));
        Assert.Equal(99, claims.Count(c => c.Status == IdempotencyClaimStatus.InProgress));
        var resumed = claims.Single(c => c.Status == IdempotencyClaimStatus.Resumed).Record;
        Assert.Equal(now + TimeSpan.FromSeconds(30), resumed.LeaseExpiresAt);
        Assert.Equal(IdempotencyState.InProgress, resumed.State);
    }

    [Fact]
    public async Task A_claim_reports_the_record_as_it_stands()
    {
        var first = KeyRecord("k10", "fp-x");
        await KeyStore.ClaimKeyAsync(first, Time.GetUtcNow(), default);

        var held = await KeyStore.ClaimKeyAsync(KeyRecord("k10", "fp-x"), Time.GetUtcNow(), default);
        var mismatch = await KeyStore.ClaimKeyAsync(KeyRecord("k10", "fp-y"), Time.GetUtcNow(), default);

        Assert.Equal(first, held.Record);
        Assert.Equal(first, mismatch.Record);
        Assert.Equal(first, await KeyStore.GetKeyAsync("k10", default));
    }
}
