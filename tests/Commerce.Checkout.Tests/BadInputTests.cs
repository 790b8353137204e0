using Commerce.Payments.Providers.Simulated;

namespace Commerce.Checkout.Tests;

public sealed class BadInputTests
{
    private static readonly Money Price = CheckoutHarness.Price;

    public static TheoryData<string, string> Cases => new()
    {
        { "empty cart", CheckoutErrorCodes.EmptyCart },
        { "missing key", CheckoutErrorCodes.MissingIdempotencyKey },
        { "missing buyer", CheckoutErrorCodes.InvalidRequest },
        { "missing payment method", CheckoutErrorCodes.InvalidRequest },
        { "missing currency", CheckoutErrorCodes.InvalidRequest },
        { "mixed currencies", CheckoutErrorCodes.CurrencyMismatch },
        { "zero quantity", CheckoutErrorCodes.InvalidQuantity },
        { "quantity over the limit", CheckoutErrorCodes.InvalidQuantity },
        { "total overflow", CheckoutErrorCodes.InvalidQuantity },
        { "negative price", CheckoutErrorCodes.InvalidRequest },
        { "duplicate line", CheckoutErrorCodes.DuplicateLine },
        { "too many lines", CheckoutErrorCodes.TooManyLines },
        { "unknown sku in the catalog", CheckoutErrorCodes.UnknownSku },
        { "sku with no stock record", CheckoutErrorCodes.UnknownSku },
        { "price changed", CheckoutErrorCodes.PriceChanged },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_a_typed_error_and_changes_nothing(string scenario, string code)
    {
        await using var h = CheckoutHarness.Create(o => o.MaxLines = 3);
        var sku = await h.SkuAsync(10);
        var other = await h.SkuAsync(10);
        var noStock = new Sku("no-stock");
        h.Catalog.Set(noStock, CheckoutHarness.SellerA, Price);
        var good = h.Request(sku);
        var request = scenario switch
        {
            "empty cart" => good with { Lines = [] },
            "missing key" => good with { IdempotencyKey = default },
            "missing buyer" => good with { Buyer = default },
            "missing payment method" => good with { PaymentMethod = " " },
            "missing currency" => good with { Currency = default },
            "mixed currencies" => good with { Lines = [new CheckoutLine(sku, 1, Price), new CheckoutLine(other, 1, new Money(1_000, Currency.EUR))] },
            "zero quantity" => good with { Lines = [new CheckoutLine(sku, 0, Price)] },
            "quantity over the limit" => good with { Lines = [new CheckoutLine(sku, 10_001, Price)] },
            "total overflow" => good with { Lines = [new CheckoutLine(sku, 10_000, new Money(long.MaxValue / 1_000, Currency.USD))] },
            "negative price" => good with { Lines = [new CheckoutLine(sku, 1, new Money(-1, Currency.USD))] },
            "duplicate line" => good with { Lines = [new CheckoutLine(sku, 1, Price), new CheckoutLine(sku, 2, Price)] },
            "too many lines" => good with { Lines = Enumerable.Range(0, 4).Select(i => new CheckoutLine(new Sku($"s{i}"), 1, Price)).ToArray() },
            "unknown sku in the catalog" => good with { Lines = [new CheckoutLine(sku, 1, Price), new CheckoutLine(new Sku("ghost"), 1, Price)] },
            "sku with no stock record" => good with { Lines = [new CheckoutLine(sku, 1, Price), new CheckoutLine(noStock, 1, Price)] },
            "price changed" => good with { Lines = [new CheckoutLine(sku, 1, new Money(900, Currency.USD))] },
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        var result = await h.Checkout.CheckoutAsync(request);

        Assert.Equal(CheckoutStatus.Rejected, result.Status);
        Assert.Equal(code, result.Error!.Code);
        Assert.Null(result.CheckoutId);
        Assert.Equal((10, 0), await h.StockAsync(sku));
        Assert.Equal((10, 0), await h.StockAsync(other));
        Assert.Equal(0, h.Store.Count);
        Assert.Equal(0, h.Psp.Authorizations);
        if (code == CheckoutErrorCodes.PriceChanged)
        {
            var price = Assert.Single(result.CurrentPrices);
            Assert.Equal(new CheckoutPrice(sku, new Money(900, Currency.USD), Price), price);
        }

        // The key stays free: the same key with a good cart checks out.
        if (!request.IdempotencyKey.IsEmpty)
        {
            var retried = await h.Checkout.CheckoutAsync(good with { IdempotencyKey = request.IdempotencyKey });
            Assert.Equal(CheckoutStatus.Completed, retried.Status);
        }
    }

    [Fact]
    public async Task A_key_reused_with_a_different_cart_is_refused_and_changes_nothing()
    {
        await using var h = CheckoutHarness.Create();
        var sku = await h.SkuAsync(10);
        var first = h.Request(sku, 1);
        Assert.Equal(CheckoutStatus.Completed, (await h.Checkout.CheckoutAsync(first)).Status);

        foreach (var changed in new[]
        {
            first with { Lines = [new CheckoutLine(sku, 2, Price)] },
            first with { Buyer = new BuyerId("someone-else") },
            first with { PaymentMethod = SimulatedPaymentProvider.DeclineToken },
        })
        {
            var result = await h.Checkout.CheckoutAsync(changed);
            Assert.Equal(CheckoutStatus.Rejected, result.Status);
            Assert.Equal(CheckoutErrorCodes.IdempotencyKeyReused, result.Error!.Code);
        }

        Assert.Equal((9, 0), await h.StockAsync(sku));
        Assert.Equal(1, h.Store.Count);
        Assert.Equal(1, h.Psp.Authorizations);
    }

    [Fact]
    public async Task A_repeat_of_a_completed_checkout_is_answered_even_after_the_sku_sold_out_or_repriced()
    {
        await using var h = CheckoutHarness.Create();
        var sku = await h.SkuAsync(1);
        var first = h.Request(sku);
        var bought = await h.Checkout.CheckoutAsync(first);
        Assert.Equal(CheckoutStatus.Completed, bought.Status);
        Assert.Equal(CheckoutErrorCodes.SoldOut, (await h.Checkout.CheckoutAsync(h.Request(sku))).Error!.Code);

        var afterSoldOut = await h.Checkout.CheckoutAsync(first);
        h.Catalog.Set(sku, CheckoutHarness.SellerA, new Money(2_000, Currency.USD));
        var afterReprice = await h.Checkout.CheckoutAsync(first);

        Assert.Equal(CheckoutStatus.Completed, afterSoldOut.Status);
        Assert.True(afterSoldOut.IsReplay);
        Assert.Equal(bought.CheckoutId, afterSoldOut.CheckoutId);
        Assert.Equal(CheckoutStatus.Completed, afterReprice.Status);
        Assert.Equal(1, h.Psp.Authorizations);
    }

    [Fact]
    public async Task A_null_request_throws()
    {
        await using var h = CheckoutHarness.Create();
        await Assert.ThrowsAsync<ArgumentNullException>(() => h.Checkout.CheckoutAsync(null!).AsTask());
    }
}
