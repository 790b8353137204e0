using Commerce.Payments;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Storage;
using Commerce.PostgreSql.Payments;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Commerce.PostgreSql.Tests.Payments;

/// <summary>The DI wiring: <c>AddCommercePayments().UsePostgreSql(...)</c> migrates first and runs payments on PostgreSQL.</summary>
public sealed class PostgreSqlPaymentsHostingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_host_migrates_before_the_resolver_starts_and_payments_run_on_postgresql()
    {
        await using var schema = PostgreSqlSchema.Create("payh");
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCommercePayments()
            .AddSimulatedProvider()
            .UsePostgreSql(_ => schema.DataSource, o => o.Schema = schema.Name);
        using var host = builder.Build();

        var hosted = host.Services.GetServices<IHostedService>().ToArray();
        Assert.Equal("PostgreSqlPaymentsMigration", hosted[0].GetType().Name);
        Assert.IsType<PostgreSqlPaymentStore>(host.Services.GetRequiredService<IPaymentStore>());

        await host.StartAsync(Ct);
        try
        {
            var payments = host.Services.GetRequiredService<PaymentService>();
            var amount = new Money(2_500, Currency.EUR);
            var authorized = await payments.AuthorizeAsync(new AuthorizePaymentRequest(new PaymentId("p1"), new IdempotencyKey("a1"), amount, "pm_card_visa"), Ct);
            Assert.Equal(PaymentOutcome.Succeeded, authorized.Outcome);
            var captured = await payments.CaptureAsync(new CapturePaymentRequest(new PaymentId("p1"), new IdempotencyKey("c1"), amount), Ct);
            Assert.Equal(PaymentOutcome.Succeeded, captured.Outcome);

            var replay = await payments.CaptureAsync(new CapturePaymentRequest(new PaymentId("p1"), new IdempotencyKey("c1"), amount), Ct);
            Assert.True(replay.IsReplay);
            var stored = (await payments.GetAsync(new PaymentId("p1"), Ct))!;
            Assert.Equal((PaymentStatus.Captured, 2_500L), (stored.Status, stored.CapturedMinor));
            Assert.Equal(0, (await payments.GetBalancesAsync(Ct)).Sum(b => b.NetMinor));
        }
        finally
        {
            await host.StopAsync(Ct);
        }
    }

    [Fact]
    public void An_invalid_schema_name_fails_validation_at_start()
    {
        var services = new ServiceCollection();
        services.AddCommercePayments().UsePostgreSql("Host=localhost", o => o.Schema = "Not-Valid");
        using var provider = services.BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PostgreSqlPaymentsOptions>>().Value);
    }
}
