using Commerce.Payments.Idempotency;
using Commerce.Payments.Providers;
using Commerce.Payments.Providers.Simulated;
using Commerce.Payments.Routing;
using Commerce.Payments.Storage;
using Commerce.Payments.Webhooks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Payments.Conformance;

/// <summary>
/// The behaviour every <see cref="IPaymentStore"/> must have, checked directly and through <see cref="PaymentService"/>.
/// A provider's test class derives from this and only says how to build a store.
/// </summary>
public abstract partial class PaymentStoreConformance : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];
    private int _ids;

    /// <summary>The clock every component reads; tests move it to expire leases and reach resolver delays.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The store under test.</summary>
    protected IPaymentStore Store { get; private set; } = null!;

    /// <summary>The key store: <see cref="Store"/> itself, unless <see cref="CreateKeyStoreAsync"/> gives a separate one.</summary>
    protected IIdempotencyKeyStore Keys { get; private set; } = null!;

    /// <summary>Whether the keys live in the payment store (their results written atomically with the payment).</summary>
    protected bool KeysWithPayments => ReferenceEquals(Keys, Store);

    /// <summary>The first-priority simulated PSP, named <c>alpha</c>.</summary>
    protected SimulatedPaymentProvider Alpha { get; private set; } = null!;

    /// <summary>The service under test, routing to <see cref="Alpha"/> only.</summary>
    protected PaymentService Payments { get; private set; } = null!;

    /// <summary>How many random cases each property test runs; lower for stores with a network round trip.</summary>
    protected virtual int PropertyIterations => 60;

    /// <summary>Builds a fresh, empty store.</summary>
    protected abstract ValueTask<IPaymentStore> CreateStoreAsync(TimeProvider timeProvider);

    /// <summary>A separate key store to run the orchestrator over; null (the default) keeps the keys in the payment store.</summary>
    protected virtual ValueTask<IIdempotencyKeyStore?> CreateKeyStoreAsync(TimeProvider timeProvider) => new((IIdempotencyKeyStore?)null);

    /// <summary>Registers something to dispose after the test.</summary>
    protected void RegisterForDispose(IAsyncDisposable disposable) => _disposables.Add(disposable);

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync()
    {
        Store = await CreateStoreAsync(Time);
        Keys = await CreateKeyStoreAsync(Time) ?? (IIdempotencyKeyStore)Store;
        Alpha = new SimulatedPaymentProvider(new SimulatedPaymentProviderOptions { Seed = 7 }, Time);
        Payments = CreateService(Store, ("alpha", Alpha, 0));
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A service over <paramref name="store"/> routing to the given providers (no retries, no delays: tests drive time).</summary>
    protected PaymentService CreateService(IPaymentStore store, params (string Name, IPaymentProvider Provider, int Priority)[] providers) =>
        CreateService(store, new PaymentsOptions(), [], providers);

    /// <summary>A service over <see cref="Store"/> with its keys in <paramref name="keys"/>.</summary>
    protected PaymentService CreateServiceWithKeys(IIdempotencyKeyStore keys, params (string Name, IPaymentProvider Provider, int Priority)[] providers) =>
        CreateService(Store, new PaymentsOptions(), [], providers, keys);

    /// <summary>A service with options and webhook parsers.</summary>
    protected PaymentService CreateService(
        IPaymentStore store, PaymentsOptions options, IEnumerable<KeyValuePair<string, IPaymentWebhookParser>> parsers,
        params (string Name, IPaymentProvider Provider, int Priority)[] providers) =>
        CreateService(store, options, parsers, providers, null);

    private PaymentService CreateService(
        IPaymentStore store, PaymentsOptions options, IEnumerable<KeyValuePair<string, IPaymentWebhookParser>> parsers,
        (string Name, IPaymentProvider Provider, int Priority)[] providers, IIdempotencyKeyStore? keys)
    {
        var routed = providers.Select(p => new RoutedProvider(p.Name, p.Provider, new PaymentProviderOptions
        {
            Priority = p.Priority,
            MaxRetries = 0,
            CircuitMinimumThroughput = 1_000_000,
            ResolveBaseDelay = TimeSpan.FromSeconds(5),
        }, Time));
        // A wrapper of the store (the crashing one) keeps the keys with it, as the store would.
        keys ??= KeysWithPayments ? store as IIdempotencyKeyStore : Keys;
        return new PaymentService(store, new PaymentProviderRegistry(routed, parsers), Options.Create(options), Time, keys: keys);
    }

    /// <summary>A fresh payment id, unique within the test.</summary>
    protected PaymentId NewPaymentId() => new($"pay-{GetType().Name.Length}-{Interlocked.Increment(ref _ids)}");

    /// <summary>A fresh idempotency key.</summary>
    protected static IdempotencyKey NewKey() => new("key-" + Guid.NewGuid().ToString("N"));

    /// <summary>USD minor units.</summary>
    protected static Money Usd(long minor) => Money.FromMinorUnits(minor, "USD");

    /// <summary>Authorizes <paramref name="minor"/> USD with the success token.</summary>
    protected async Task<PaymentResult> AuthorizeAsync(long minor, PaymentService? service = null, string method = SimulatedPaymentProvider.SuccessToken, IReadOnlyList<SellerShare>? splits = null)
    {
        var request = new AuthorizePaymentRequest(NewPaymentId(), NewKey(), Usd(minor), method) { Splits = splits ?? [] };
        return await (service ?? Payments).AuthorizeAsync(request, CancellationToken.None);
    }

    /// <summary>Moves the clock past every lease and resolver delay.</summary>
    protected void PassTime(TimeSpan? by = null) => Time.Advance(by ?? TimeSpan.FromMinutes(11));

    /// <summary>Asserts that an action throws a <see cref="CommerceException"/> with the code.</summary>
    protected static async Task<CommerceException> AssertCodeAsync(string code, Func<Task> action)
    {
        var exception = await Assert.ThrowsAnyAsync<CommerceException>(action);
        Assert.Equal(code, exception.Code);
        return exception;
    }
}
