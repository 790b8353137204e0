namespace Commerce.Payments.Idempotency;

/// <summary>Where a caller's idempotency key stands.</summary>
public enum IdempotencyState
{
    /// <summary>A request holds the key's lease and is running.</summary>
    InProgress,

    /// <summary>No request runs, but the key is not finished: its last request ended in an unknown outcome or a crash. A retry resumes it.</summary>
    Open,

    /// <summary>Finished: the stored result is replayed.</summary>
    Completed,
}

/// <summary>The stored result of a finished request.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Status">The payment's status when it ended.</param>
/// <param name="AttemptNumber">The attempt that decided it.</param>
/// <param name="FailureCode">The decline or error code, when it did not succeed.</param>
/// <param name="FailureMessage">The reason, when it did not succeed.</param>
public readonly record struct StoredPaymentResult(PaymentOutcome Outcome, PaymentStatus Status, int AttemptNumber, string? FailureCode, string? FailureMessage);

/// <summary>
/// A caller's idempotency key and what it is bound to. A value: the stores keep it inline (the in-memory one in its
/// table's entries) and a request copies it, so a key costs no object of its own.
/// </summary>
public readonly record struct IdempotencyRecord
{
    // Times as UTC ticks: half the size of a DateTimeOffset, in every entry of a key table.
    private readonly long _leaseExpiresAt;
    private readonly long _createdAt;

    /// <summary>The caller's key.</summary>
    public required string Key { get; init; }

    /// <summary>The operation the key was first used for.</summary>
    public required PaymentOperation Operation { get; init; }

    /// <summary>A hash of the canonical request (128 bits of SHA-256); the same key with another fingerprint is rejected.</summary>
    public required Guid Fingerprint { get; init; }

    /// <summary>The payment the request is about.</summary>
    public required PaymentId PaymentId { get; init; }

    /// <summary>Where the key stands.</summary>
    public required IdempotencyState State { get; init; }

    /// <summary>Until when the running request holds the key; a later claim may take it over (the holder died). Kept in UTC.</summary>
    public DateTimeOffset LeaseExpiresAt { get => new(_leaseExpiresAt, TimeSpan.Zero); init => _leaseExpiresAt = value.UtcTicks; }

    /// <summary>The attempt started for the request, once persisted; a resume continues it with the same PSP key.</summary>
    public int? AttemptNumber { get; init; }

    /// <summary>The result, once completed.</summary>
    public StoredPaymentResult? Result { get; init; }

    /// <summary>When the key was first claimed; it is reaped a retention window later. Kept in UTC.</summary>
    public required DateTimeOffset CreatedAt { get => new(_createdAt, TimeSpan.Zero); init => _createdAt = value.UtcTicks; }
}

/// <summary>What a claim of a key found.</summary>
public enum IdempotencyClaimStatus
{
    /// <summary>The key was new: the caller now holds it.</summary>
    Claimed,

    /// <summary>The key was open or its lease had expired: the caller now holds it and resumes the earlier request.</summary>
    Resumed,

    /// <summary>The key's request finished: replay its result.</summary>
    Completed,

    /// <summary>Another request holds the key's lease.</summary>
    InProgress,

    /// <summary>The key was used with a different request.</summary>
    FingerprintMismatch,
}

/// <summary>The answer to a claim.</summary>
/// <param name="Status">What the claim found.</param>
/// <param name="Record">The key's record after the claim.</param>
public readonly record struct IdempotencyClaim(IdempotencyClaimStatus Status, IdempotencyRecord Record);
