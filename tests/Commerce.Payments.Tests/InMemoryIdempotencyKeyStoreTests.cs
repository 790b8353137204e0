using Commerce.Payments.Conformance;
using Commerce.Payments.Idempotency;
using Commerce.Payments.InMemory;
using Commerce.Payments.Storage;

namespace Commerce.Payments.Tests;

/// <summary>The idempotency key conformance suite against the in-memory key store, alone and inside the payment store.</summary>
public sealed class InMemoryIdempotencyKeyStoreTests : IdempotencyKeyStoreConformance
{
    /// <inheritdoc />
    protected override ValueTask<IIdempotencyKeyStore> CreateKeyStoreAsync(TimeProvider timeProvider) => new(new InMemoryIdempotencyKeyStore());
}

/// <summary>The idempotency key conformance suite against the keys of the in-memory payment store.</summary>
public sealed class InMemoryPaymentStoreKeyTests : IdempotencyKeyStoreConformance
{
    /// <inheritdoc />
    protected override ValueTask<IIdempotencyKeyStore> CreateKeyStoreAsync(TimeProvider timeProvider) => new(new InMemoryPaymentStore(timeProvider));
}

/// <summary>
/// The payments conformance suite with the keys in a store of their own: the key's result is saved after the payment
/// write, not with it, and every crash point must still charge once and answer a retry with the first outcome.
/// </summary>
public sealed class InMemorySeparateKeyStoreTests : PaymentStoreConformance
{
    /// <inheritdoc />
    protected override ValueTask<IPaymentStore> CreateStoreAsync(TimeProvider timeProvider) => new(new InMemoryPaymentStore(timeProvider));

    /// <inheritdoc />
    protected override ValueTask<IIdempotencyKeyStore?> CreateKeyStoreAsync(TimeProvider timeProvider) => new(new InMemoryIdempotencyKeyStore());
}
