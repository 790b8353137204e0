using System.Threading.RateLimiting;
using Commerce.Checkout.Storage;
using Commerce.Payments.Providers.Simulated;

namespace Commerce.Checkout.Tests;

public sealed class AdmissionTests
{
    [Fact]
    public async Task A_full_queue_sheds_load_with_busy_and_a_retry_after_hint()
    {
        await using var h = CheckoutHarness.Create(
            o =>
            {
                o.MaxConcurrentCheckouts = 1;
                o.MaxQueuedCheckouts = 1;
                o.BusyRetryAfter = TimeSpan.FromSeconds(3);
            },
            psp: new SimulatedPaymentProviderOptions { Latency = TimeSpan.FromSeconds(1) });
        var sku = await h.SkuAsync(10);

        var running = h.Checkout.CheckoutAsync(h.Request(sku)).AsTask();
        var queued = h.Checkout.CheckoutAsync(h.Request(sku)).AsTask();
        var shed = await h.Checkout.CheckoutAsync(h.Request(sku));

        Assert.Equal(CheckoutStatus.Rejected, shed.Status);
        Assert.Equal(CheckoutErrorCodes.Busy, shed.Error!.Code);
        Assert.Equal(TimeSpan.FromSeconds(3), shed.RetryAfter);
        while (!running.IsCompleted || !queued.IsCompleted)
        {
            h.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        Assert.Equal(CheckoutStatus.Completed, (await running).Status);
        Assert.Equal(CheckoutStatus.Completed, (await queued).Status);
        Assert.Equal((8, 0), await h.StockAsync(sku));
    }

    [Fact]
    public async Task The_per_buyer_limit_refuses_a_buyer_over_the_rate_but_not_others()
    {
        await using var h = CheckoutHarness.Create(o =>
        {
            o.BuyerPermitsPerSecond = 1;
            o.BuyerBurst = 2;
            o.RateLimitPeriod = TimeSpan.FromHours(1);
        });
        var sku = await h.SkuAsync(10);

        var results = new List<CheckoutResult>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await h.Checkout.CheckoutAsync(h.Request(sku, buyer: "eager")));
        }

        var other = await h.Checkout.CheckoutAsync(h.Request(sku, buyer: "calm"));

        Assert.Equal([CheckoutStatus.Completed, CheckoutStatus.Completed, CheckoutStatus.Rejected], results.Select(r => r.Status));
        Assert.Equal(CheckoutErrorCodes.Busy, results[2].Error!.Code);
        Assert.NotNull(results[2].RetryAfter);
        Assert.Equal(CheckoutStatus.Completed, other.Status);
        Assert.Equal((7, 0), await h.StockAsync(sku));
    }

    [Fact]
    public async Task Any_rate_limiters_can_be_plugged_in()
    {
        var global = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = 1, QueueLimit = 0 });
        var held = global.AttemptAcquire();
        var perBuyer = PartitionedRateLimiter.Create<string, string>(buyer =>
            RateLimitPartition.GetFixedWindowLimiter(buyer, _ => new FixedWindowRateLimiterOptions { PermitLimit = buyer == "blocked" ? 1 : 100, Window = TimeSpan.FromHours(1) }));
        await using var h = CheckoutHarness.Create(limiters: new CheckoutLimiters(global, perBuyer));
        var sku = await h.SkuAsync(10);

        var refusedByGlobal = await h.Checkout.CheckoutAsync(h.Request(sku));
        held.Dispose();
        var admitted = await h.Checkout.CheckoutAsync(h.Request(sku, buyer: "blocked"));
        var refusedByBuyer = await h.Checkout.CheckoutAsync(h.Request(sku, buyer: "blocked"));

        Assert.Equal(CheckoutErrorCodes.Busy, refusedByGlobal.Error!.Code);
        Assert.Equal(CheckoutStatus.Completed, admitted.Status);
        Assert.Equal(CheckoutErrorCodes.Busy, refusedByBuyer.Error!.Code);
        Assert.Equal((9, 0), await h.StockAsync(sku));
    }

    [Fact]
    public async Task A_per_buyer_cap_limits_units_per_sku_and_failed_checkouts_give_them_back()
    {
        await using var h = CheckoutHarness.Create(o => o.MaxQuantityPerBuyerPerSku = 2);
        var sku = await h.SkuAsync(10);
        var capped = await h.SkuAsync(10);
        h.Catalog.Set(new CatalogItem(capped, CheckoutHarness.SellerA, CheckoutHarness.Price) { MaxQuantityPerBuyer = 1 });

        var declined = await h.Checkout.CheckoutAsync(h.Request(sku, 2, buyer: "b", token: SimulatedPaymentProvider.DeclineToken));
        var first = await h.Checkout.CheckoutAsync(h.Request(sku, 2, buyer: "b"));
        var over = await h.Checkout.CheckoutAsync(h.Request(sku, 1, buyer: "b"));
        var otherBuyer = await h.Checkout.CheckoutAsync(h.Request(sku, 2, buyer: "c"));
        var catalogCap = await h.Checkout.CheckoutAsync(h.Request(capped, 2, buyer: "c"));

        Assert.Equal(CheckoutErrorCodes.Declined, declined.Error!.Code);
        Assert.Equal(CheckoutStatus.Completed, first.Status);
        Assert.Equal(CheckoutErrorCodes.QuantityCapExceeded, over.Error!.Code);
        Assert.Equal(CheckoutStatus.Completed, otherBuyer.Status);
        Assert.Equal(CheckoutErrorCodes.QuantityCapExceeded, catalogCap.Error!.Code);
        Assert.Equal((6, 0), await h.StockAsync(sku));
        Assert.Equal((10, 0), await h.StockAsync(capped));
    }

    [Fact]
    public async Task A_sold_out_sku_is_refused_without_the_store_until_the_recheck_interval_passes()
    {
        await using var h = CheckoutHarness.Create(o => o.SoldOutRecheckInterval = TimeSpan.FromSeconds(1));
        var counting = new ObservingStore(h.Store);
        await using var checkout = new CheckoutService(counting, h.Payments, h.Catalog, Microsoft.Extensions.Options.Options.Create(h.Options), h.Time);
        var sku = await h.SkuAsync(1);
        Assert.Equal(CheckoutStatus.Completed, (await checkout.CheckoutAsync(h.Request(sku))).Status);
        var soldOut = await checkout.CheckoutAsync(h.Request(sku));
        Assert.Equal(CheckoutErrorCodes.SoldOut, soldOut.Error!.Code);
        Assert.Equal(2, counting.Begins);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(CheckoutErrorCodes.SoldOut, (await checkout.CheckoutAsync(h.Request(sku))).Error!.Code);
        }

        Assert.Equal(2, counting.Begins);

        // Restocked behind the gate's back: refused for at most the recheck interval, then sold again.
        await h.Inventory.AdjustStockAsync(new Inventory.StockAdjustment(sku, 1, "restock", new IdempotencyKey("restock-1")));
        Assert.Equal(CheckoutErrorCodes.SoldOut, (await checkout.CheckoutAsync(h.Request(sku))).Error!.Code);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CheckoutStatus.Completed, (await checkout.CheckoutAsync(h.Request(sku))).Status);
        Assert.Equal(3, counting.Begins);
    }

    [Fact]
    public async Task Stock_released_by_a_failed_checkout_reopens_the_sku_at_once()
    {
        await using var h = CheckoutHarness.Create(o => o.SoldOutRecheckInterval = TimeSpan.FromHours(1));
        var sku = await h.SkuAsync(1);
        var holder = h.Checkout.CheckoutAsync(h.Request(sku, token: SimulatedPaymentProvider.LostResponseToken));
        Assert.Equal(CheckoutStatus.Pending, (await holder).Status);
        Assert.Equal(CheckoutErrorCodes.SoldOut, (await h.Checkout.CheckoutAsync(h.Request(sku))).Error!.Code);
        Assert.True(h.Checkout.SoldOutGate.ShouldRefuse(sku));

        var declined = await h.Checkout.CheckoutAsync(h.Request(sku, token: SimulatedPaymentProvider.DeclineToken));
        Assert.Equal(CheckoutErrorCodes.SoldOut, declined.Error!.Code);

        // The pending checkout's hold expires before its payment is resolved: recovery voids and compensates it, and
        // the compensation reopens the SKU without waiting for the (hour-long) recheck interval.
        h.Time.Advance(h.Options.ReservationTtl + TimeSpan.FromMinutes(1));
        await h.Inventory.ExpireDueReservationsAsync();
        var saga = (await h.Store.ListDueAsync(h.Time.GetUtcNow(), 10, default)).Single();
        await h.Payments.ResolveAsync(saga.PaymentId, default);
        await h.Checkout.RecoverDueAsync();

        Assert.Equal(CheckoutStep.Compensated, (await h.Store.GetAsync(saga.Id, default))!.Step);
        Assert.False(h.Checkout.SoldOutGate.ShouldRefuse(sku));
        Assert.Equal(CheckoutStatus.Completed, (await h.Checkout.CheckoutAsync(h.Request(sku))).Status);
    }

    [Fact]
    public void The_gate_lets_exactly_one_caller_through_per_recheck_interval()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var gate = new InProcessSoldOutGate(TimeSpan.FromMilliseconds(250), time);
        var sku = new Sku("hot");
        Assert.False(gate.ShouldRefuse(sku));
        gate.ReportSoldOut(sku);
        Assert.True(gate.ShouldRefuse(sku));
        time.Advance(TimeSpan.FromMilliseconds(250));

        var through = Enumerable.Range(0, 64).AsParallel().Count(_ => !gate.ShouldRefuse(sku));

        Assert.Equal(1, through);
        gate.Reopen(sku);
        Assert.False(gate.ShouldRefuse(sku));
        Assert.Equal(0, gate.Count);
    }
}
