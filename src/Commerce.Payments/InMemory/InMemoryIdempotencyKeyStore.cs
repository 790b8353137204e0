using Commerce.Collections;
using Commerce.Payments.Idempotency;

namespace Commerce.Payments.InMemory;

/// <summary>
/// Idempotency keys in memory, claimed with compare-and-swap; the records live inline in the table's entries (no object
/// per key). <see cref="InMemoryPaymentStore"/> keeps its keys in one of these; on its own it serves tests of a key
/// store apart from the payment store.
/// </summary>
public sealed class InMemoryIdempotencyKeyStore : IIdempotencyKeyStore
{
    private readonly StripedDictionary<string, IdempotencyRecord> _keys = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<IdempotencyClaim> ClaimKeyAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken) =>
        new(ClaimKey(candidate, now));

    /// <summary>The claim, synchronously: nothing here waits.</summary>
    internal IdempotencyClaim ClaimKey(IdempotencyRecord candidate, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(candidate.Key, nameof(candidate));
        while (true)
        {
            if (_keys.TryAdd(candidate.Key, candidate))
            {
                return new IdempotencyClaim(IdempotencyClaimStatus.Claimed, candidate);
            }

            if (!_keys.TryGetValue(candidate.Key, out var existing))
            {
                continue;
            }

            if (existing.Fingerprint != candidate.Fingerprint)
            {
                return new IdempotencyClaim(IdempotencyClaimStatus.FingerprintMismatch, existing);
            }

            if (existing.State == IdempotencyState.Completed)
            {
                return new IdempotencyClaim(IdempotencyClaimStatus.Completed, existing);
            }

            if (existing.State == IdempotencyState.InProgress && existing.LeaseExpiresAt > now)
            {
                return new IdempotencyClaim(IdempotencyClaimStatus.InProgress, existing);
            }

            var taken = existing with { State = IdempotencyState.InProgress, LeaseExpiresAt = candidate.LeaseExpiresAt };
            if (_keys.TryUpdate(candidate.Key, taken, existing))
            {
                return new IdempotencyClaim(IdempotencyClaimStatus.Resumed, taken);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseKeyAsync(string key, bool forget, CancellationToken cancellationToken)
    {
        while (_keys.TryGetValue(key, out var existing) && existing.State == IdempotencyState.InProgress)
        {
            var done = forget
                ? _keys.TryRemove(key, existing)
                : _keys.TryUpdate(key, existing with { State = IdempotencyState.Open }, existing);
            if (done)
            {
                break;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SaveKeyAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        Save(record);
        return ValueTask.CompletedTask;
    }

    /// <summary>Stores a record as given, synchronously (the payment store's atomic write calls it under its lock).</summary>
    internal void Save(IdempotencyRecord record)
    {
        ArgumentException.ThrowIfNullOrEmpty(record.Key, nameof(record));
        _keys[record.Key] = record;
    }

    /// <inheritdoc />
    public ValueTask<IdempotencyRecord?> GetKeyAsync(string key, CancellationToken cancellationToken) =>
        new(_keys.TryGetValue(key, out var record) ? record : null);

    /// <inheritdoc />
    public ValueTask<int> ReapKeysAsync(DateTimeOffset createdBefore, int maxCount, CancellationToken cancellationToken)
    {
        var reaped = 0;
        foreach (var (key, record) in _keys.ScanEntries())
        {
            if (reaped >= maxCount)
            {
                break;
            }

            if (record.CreatedAt < createdBefore && record.State != IdempotencyState.InProgress
                && _keys.TryRemove(key, record))
            {
                reaped++;
            }
        }

        return new(reaped);
    }
}
