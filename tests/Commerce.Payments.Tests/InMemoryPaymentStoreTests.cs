using Commerce.Payments.Conformance;
using Commerce.Payments.InMemory;
using Commerce.Payments.Storage;

namespace Commerce.Payments.Tests;

/// <summary>The conformance suite against the in-memory store.</summary>
public sealed class InMemoryPaymentStoreTests : PaymentStoreConformance
{
    /// <inheritdoc />
    protected override ValueTask<IPaymentStore> CreateStoreAsync(TimeProvider timeProvider) => new(new InMemoryPaymentStore(timeProvider));

    /// <inheritdoc />
    protected override int PropertyIterations => 150;
}
