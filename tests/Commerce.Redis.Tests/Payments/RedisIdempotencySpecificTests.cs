using Commerce.Payments;
using Commerce.Payments.Idempotency;
using Commerce.Redis.Payments;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Commerce.Redis.Tests.Payments;

/// <summary>What only the Redis key store does: expiry instead of reaping, its key layout, and its DI wiring.</summary>
public sealed class RedisIdempotencySpecificTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IdempotencyRecord Record(string key, DateTimeOffset now, TimeSpan lease) => new()
    {
        Key = key,
        Operation = PaymentOperation.Capture,
        Fingerprint = TestFingerprints.Of("fp"),
        PaymentId = new PaymentId("pay-1"),
        State = IdempotencyState.InProgress,
        LeaseExpiresAt = now + lease,
        CreatedAt = now,
    };

    [Fact]
    public async Task Keys_expire_a_retention_window_after_creation_but_never_while_their_lease_holds()
    {
        var database = PaymentsRedis.Standalone();
        var options = PaymentsRedis.Options(TimeSpan.FromSeconds(1));
        var store = new RedisIdempotencyKeyStore(database, options, new FakeTimeProvider(T0));

        await store.ClaimKeyAsync(Record("open", T0, TimeSpan.FromMilliseconds(500)), T0, Ct);
        await store.ReleaseKeyAsync("open", forget: false, Ct);
        await store.ClaimKeyAsync(Record("held", T0, TimeSpan.FromSeconds(30)), T0, Ct);
        await store.SaveKeyAsync(Record("done", T0, TimeSpan.FromSeconds(30)) with
        {
            State = IdempotencyState.Completed,
            Result = new StoredPaymentResult(PaymentOutcome.Succeeded, PaymentStatus.Captured, 2, null, null),
        }, Ct);

        var heldTtl = await database.KeyTimeToLiveAsync(options.KeyPrefix + "{held}");
        var doneTtl = await database.KeyTimeToLiveAsync(options.KeyPrefix + "{done}");
        Assert.InRange(heldTtl!.Value, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
        Assert.InRange(doneTtl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        Assert.Equal(0, await store.ReapKeysAsync(T0.AddDays(1), 100, Ct));

        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);

        Assert.Null(await store.GetKeyAsync("open", Ct));
        Assert.Null(await store.GetKeyAsync("done", Ct));
        Assert.NotNull(await store.GetKeyAsync("held", Ct));
    }

    [Fact]
    public async Task Keys_are_hashes_under_the_prefix_with_the_callers_key_as_hash_tag()
    {
        var database = PaymentsRedis.Standalone();
        var options = PaymentsRedis.Options();
        var store = new RedisIdempotencyKeyStore(database, options, new FakeTimeProvider(T0));

        await store.ClaimKeyAsync(Record("order-42:capture", T0, TimeSpan.FromSeconds(30)), T0, Ct);

        var redisKey = (RedisKey)(options.KeyPrefix + "{order-42:capture}");
        Assert.Equal(RedisType.Hash, await database.KeyTypeAsync(redisKey));
        Assert.Equal(TestFingerprints.Of("fp").ToString("N"), (string?)await database.HashGetAsync(redisKey, "fp"));
        Assert.InRange((await database.KeyTimeToLiveAsync(redisKey))!.Value, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task UseRedisIdempotency_keeps_the_keys_in_redis_and_the_payments_in_the_payment_store()
    {
        var configuration = Commerce.Testing.TestServers.RequireRedis();
        var prefix = PaymentsRedis.Options().KeyPrefix;
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCommercePayments(o => o.KeyRetention = TimeSpan.FromHours(2))
            .AddSimulatedProvider()
            .UseRedisIdempotency(configuration, o => o.KeyPrefix = prefix);
        using var host = builder.Build();

        Assert.IsType<RedisIdempotencyKeyStore>(host.Services.GetRequiredService<IIdempotencyKeyStore>());
        Assert.Equal(TimeSpan.FromHours(2), host.Services.GetRequiredService<IOptions<RedisIdempotencyOptions>>().Value.Retention);
        var payments = host.Services.GetRequiredService<PaymentService>();
        var request = new AuthorizePaymentRequest(new PaymentId("p-di"), new IdempotencyKey("k-di"), new Money(2_500, Currency.EUR), "tok_visa");
        var first = await payments.AuthorizeAsync(request, Ct);
        var replay = await payments.AuthorizeAsync(request, Ct);

        Assert.True(first.Succeeded);
        Assert.True(replay.IsReplay);
        var database = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        Assert.Equal("2", (string?)await database.HashGetAsync(prefix + "{k-di}", "st"));
    }

    [Fact]
    public void A_retention_not_longer_than_the_lease_fails_validation()
    {
        var services = new ServiceCollection();
        services.AddCommercePayments().UseRedisIdempotency("127.0.0.1:1", o => o.Retention = TimeSpan.FromSeconds(5));
        using var provider = services.BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisIdempotencyOptions>>().Value);
    }
}
