using Commerce.Payments.Conformance;
using Commerce.Payments.Idempotency;
using Commerce.Payments.InMemory;
using Commerce.Payments.Storage;

namespace Commerce.Redis.Tests.Payments;

/// <summary>The idempotency key conformance suite against Redis standalone.</summary>
public sealed class RedisIdempotencyKeyStoreTests : IdempotencyKeyStoreConformance
{
    /// <inheritdoc />
    protected override bool ReapsKeys => false;

    /// <inheritdoc />
    protected override ValueTask<IIdempotencyKeyStore> CreateKeyStoreAsync(TimeProvider timeProvider) =>
        new(PaymentsRedis.Store(PaymentsRedis.Standalone(), timeProvider));
}

/// <summary>The idempotency key conformance suite against a three-master Redis Cluster.</summary>
public sealed class RedisClusterIdempotencyKeyStoreTests : IdempotencyKeyStoreConformance
{
    /// <inheritdoc />
    protected override bool ReapsKeys => false;

    /// <inheritdoc />
    protected override ValueTask<IIdempotencyKeyStore> CreateKeyStoreAsync(TimeProvider timeProvider) =>
        new(PaymentsRedis.Store(PaymentsRedis.Cluster(), timeProvider));
}

/// <summary>
/// The payments conformance suite with payments in memory and keys in Redis standalone: every crash point, the 100
/// identical requests and the random fault runs, with the key's result saved after the payment write.
/// </summary>
public sealed class RedisKeysPaymentStoreTests : PaymentStoreConformance
{
    /// <inheritdoc />
    protected override int PropertyIterations => 25;

    /// <inheritdoc />
    protected override ValueTask<IPaymentStore> CreateStoreAsync(TimeProvider timeProvider) => new(new InMemoryPaymentStore(timeProvider));

    /// <inheritdoc />
    protected override ValueTask<IIdempotencyKeyStore?> CreateKeyStoreAsync(TimeProvider timeProvider) =>
        new(PaymentsRedis.Store(PaymentsRedis.Standalone(), timeProvider));
}

/// <summary>The payments conformance suite with keys in a Redis Cluster.</summary>
public sealed class RedisClusterKeysPaymentStoreTests : PaymentStoreConformance
{
    /// <inheritdoc />
    protected override int PropertyIterations => 15;

    /// <inheritdoc />
    protected override ValueTask<IPaymentStore> CreateStoreAsync(TimeProvider timeProvider) => new(new InMemoryPaymentStore(timeProvider));

    /// <inheritdoc />
    protected override ValueTask<IIdempotencyKeyStore?> CreateKeyStoreAsync(TimeProvider timeProvider) =>
        new(PaymentsRedis.Store(PaymentsRedis.Cluster(), timeProvider));
}
