namespace Commerce.Payments.Idempotency;

/// <summary>
/// Stores callers' idempotency keys: which request a key belongs to (its fingerprint), who holds it (a lease) and,
/// once finished, its result. The payment store stays the source of truth: every attempt records the key of the
/// request that started it, so a key store that loses a record (a crash between the payment write and the key write,
/// a Redis failover) costs a replay from the payments, never a second charge.
/// </summary>
/// <remarks>
/// The in-memory and PostgreSQL payment stores implement this too; used as both, they apply a key's result in the
/// same atomic write as the payment change (<see cref="Storage.PaymentWrite.Key"/>). A separate key store (Redis) gets
/// the result in its own write right after.
/// </remarks>
public interface IIdempotencyKeyStore
{
    /// <summary>
    /// Claims a caller's key atomically: a new key is inserted as in progress with a lease; an open key, or one whose
    /// lease expired, is taken over; a completed key returns its result; a held key is reported in progress; a key
    /// first used with another fingerprint is reported as a mismatch. Never waits for a lease.
    /// </summary>
    ValueTask<IdempotencyClaim> ClaimKeyAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Gives a held key up. With <paramref name="forget"/>, the key is deleted (the request wrote nothing, so a retry
    /// starts afresh); otherwise it becomes open for a retry to resume.
    /// </summary>
    ValueTask ReleaseKeyAsync(string key, bool forget, CancellationToken cancellationToken);

    /// <summary>Stores a key's record as given (its result once the request finished, or open after an unknown outcome).</summary>
    ValueTask SaveKeyAsync(IdempotencyRecord record, CancellationToken cancellationToken);

    /// <summary>Reads a key's record.</summary>
    ValueTask<IdempotencyRecord?> GetKeyAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes keys created before <paramref name="createdBefore"/> that no request holds; returns how many. A store
    /// whose keys expire by themselves (Redis) deletes nothing here.
    /// </summary>
    ValueTask<int> ReapKeysAsync(DateTimeOffset createdBefore, int maxCount, CancellationToken cancellationToken);
}
