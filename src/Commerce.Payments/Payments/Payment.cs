using System.Collections.Immutable;

namespace Commerce.Payments;

/// <summary>
/// A payment: an intent to take <see cref="Amount"/> from a buyer, with every attempt made at a PSP. Immutable: each
/// change produces a new instance with the next <see cref="Version"/>.
/// </summary>
public sealed record Payment
{
    // Times as UTC ticks: half the size of a DateTimeOffset, and two versions of every payment are made per operation.
    private readonly long _createdAt;
    private readonly long _updatedAt;

    /// <summary>The payment's id.</summary>
    public required PaymentId Id { get; init; }

    /// <summary>The amount to authorize.</summary>
    public required Money Amount { get; init; }

    /// <summary>The PSP token of the buyer's payment method.</summary>
    public required string PaymentMethod { get; init; }

    /// <summary>How the amount is split between sellers, with each seller's commission rate fixed at authorization.</summary>
    public ImmutableArray<PaymentSplit> Splits { get; init; } = [];

    /// <summary>The order the payment is for, if any.</summary>
    public OrderId? OrderId { get; init; }

    /// <summary>The payment's status.</summary>
    public required PaymentStatus Status { get; init; }

    /// <summary>The amount held, in minor units (zero until an authorization succeeds).</summary>
    public long AuthorizedMinor { get; init; }

    /// <summary>The amount captured so far, in minor units; never more than <see cref="AuthorizedMinor"/>.</summary>
    public long CapturedMinor { get; init; }

    /// <summary>The amount refunded so far, in minor units; never more than <see cref="CapturedMinor"/>.</summary>
    public long RefundedMinor { get; init; }

    /// <summary>Whether a final capture closed the authorization: no more captures.</summary>
    public bool CaptureClosed { get; init; }

    /// <summary>Every attempt, oldest first; <see cref="PaymentAttempt.Number"/> is its 1-based position.</summary>
    public ImmutableArray<PaymentAttempt> Attempts { get; init; } = [];

    /// <summary>Increases by one with every stored change; writes are conditional on it.</summary>
    public long Version { get; init; }

    /// <summary>When the payment was created (kept in UTC).</summary>
    public DateTimeOffset CreatedAt { get => new(_createdAt, TimeSpan.Zero); init => _createdAt = value.UtcTicks; }

    /// <summary>When it last changed (kept in UTC).</summary>
    public DateTimeOffset UpdatedAt { get => new(_updatedAt, TimeSpan.Zero); init => _updatedAt = value.UtcTicks; }

    /// <summary>The attempt that authorized the payment, if one has.</summary>
    public PaymentAttempt? Authorization
    {
        get
        {
            foreach (var attempt in Attempts)
            {
                if (attempt.Operation == PaymentOperation.Authorize && attempt.Status == AttemptStatus.Succeeded)
                {
                    return attempt;
                }
            }

            return null;
        }
    }

    /// <summary>The attempt in flight (pending) or awaiting resolution (unknown), if any; a payment has at most one.</summary>
    public PaymentAttempt? InFlight
    {
        get
        {
            for (var i = Attempts.Length - 1; i >= 0; i--)
            {
                if (Attempts[i].Status is AttemptStatus.Pending or AttemptStatus.Unknown)
                {
                    return Attempts[i];
                }
            }

            return null;
        }
    }

    /// <summary>The provider that authorized the payment, or that holds its in-flight authorization.</summary>
    public string? Provider => Authorization?.Provider ?? InFlight?.Provider;

    /// <summary>Structural equality, splits and attempts included: a payment read back from any store equals the one written.</summary>
    public bool Equals(Payment? other) =>
        other is not null
        && Id == other.Id && Amount == other.Amount && PaymentMethod == other.PaymentMethod && OrderId == other.OrderId
        && Status == other.Status && AuthorizedMinor == other.AuthorizedMinor && CapturedMinor == other.CapturedMinor
        && RefundedMinor == other.RefundedMinor && CaptureClosed == other.CaptureClosed && Version == other.Version
        && CreatedAt == other.CreatedAt && UpdatedAt == other.UpdatedAt
        && Splits.AsSpan().SequenceEqual(other.Splits.AsSpan()) && Attempts.AsSpan().SequenceEqual(other.Attempts.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Id, Version, Status);
}

/// <summary>A seller's share of a payment.</summary>
/// <param name="SellerId">The seller.</param>
/// <param name="AmountMinor">The seller's share of the payment amount, in minor units.</param>
/// <param name="CommissionBasisPoints">The platform's commission on this share, in hundredths of a percent (250 is 2.5%).</param>
public readonly record struct PaymentSplit(SellerId SellerId, long AmountMinor, int CommissionBasisPoints);

/// <summary>One operation sent to one provider. Retries and resumes of the attempt reuse its <see cref="PspKey"/>.</summary>
public sealed record PaymentAttempt
{
    // Times as UTC ticks, as in Payment.
    private readonly long _createdAt;
    private readonly long _updatedAt;

    /// <summary>The 1-based position of the attempt in its payment.</summary>
    public required int Number { get; init; }

    /// <summary>The operation.</summary>
    public required PaymentOperation Operation { get; init; }

    /// <summary>The provider it was sent to.</summary>
    public required string Provider { get; init; }

    /// <summary>The amount of the operation, in minor units (zero for a void).</summary>
    public required long AmountMinor { get; init; }

    /// <summary>Whether a capture attempt is the last one.</summary>
    public bool IsFinal { get; init; }

    /// <summary>The idempotency key sent to the PSP: derived from the payment, the attempt number and the operation.</summary>
    public required string PspKey { get; init; }

    /// <summary>
    /// The caller's idempotency key of the request that started the attempt (null for attempts written before keys were
    /// recorded here). The payment store is the source of truth: a retry whose key record was lost, or never got the
    /// result, finds its attempt by this and resumes or replays it instead of starting another.
    /// </summary>
    public string? RequestKey { get; init; }

    /// <summary>The attempt's status.</summary>
    public required AttemptStatus Status { get; init; }

    /// <summary>The PSP's reference, once known.</summary>
    public string? PspReference { get; init; }

    /// <summary>The PSP's decline or error code, when the attempt did not succeed.</summary>
    public string? FailureCode { get; init; }

    /// <summary>The reason given, when the attempt did not succeed.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>How many times the resolver has asked the PSP about this attempt.</summary>
    public int ResolveTries { get; init; }

    /// <summary>When the attempt was persisted, before any PSP I/O (kept in UTC).</summary>
    public required DateTimeOffset CreatedAt { get => new(_createdAt, TimeSpan.Zero); init => _createdAt = value.UtcTicks; }

    /// <summary>When it last changed (kept in UTC).</summary>
    public required DateTimeOffset UpdatedAt { get => new(_updatedAt, TimeSpan.Zero); init => _updatedAt = value.UtcTicks; }

    /// <summary>Derives the PSP idempotency key of an attempt: stable across retries and resumes of this attempt, new for any other.</summary>
    public static string DerivePspKey(PaymentId paymentId, int number, PaymentOperation operation) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{paymentId.Value}:{number}:{OperationName(operation)}");

    internal static string OperationName(PaymentOperation operation) => operation switch
    {
        PaymentOperation.Authorize => "authorize",
        PaymentOperation.Capture => "capture",
        PaymentOperation.Void => "void",
        _ => "refund",
    };
}
