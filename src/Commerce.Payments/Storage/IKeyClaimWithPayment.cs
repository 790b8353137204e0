using Commerce.Payments.Idempotency;

namespace Commerce.Payments.Storage;

/// <summary>
/// A payment store that holds the keys too and can read the claimed key's payment in the claim's own round trip. Every
/// operation reads the payment right after its claim; a store with a remote database saves a call per operation.
/// </summary>
internal interface IKeyClaimWithPayment
{
    /// <summary>
    /// Claims a key as <see cref="IIdempotencyKeyStore.ClaimKeyAsync"/> does, then reads the candidate's payment
    /// (null when there is none), as a later <see cref="IPaymentStore.GetAsync"/> would.
    /// </summary>
    ValueTask<KeyClaimWithPayment> ClaimKeyWithPaymentAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>A claim and the payment read right after it.</summary>
/// <param name="Claim">What the claim found.</param>
/// <param name="Payment">The candidate's payment, read after the claim; null when there is none.</param>
internal readonly record struct KeyClaimWithPayment(IdempotencyClaim Claim, Payment? Payment);
