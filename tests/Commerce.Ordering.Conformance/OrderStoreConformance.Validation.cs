namespace Commerce.Ordering.Conformance;

public abstract partial class OrderStoreConformance
{
    public static TheoryData<string, string> BadPlacements => new()
    {
        { "empty", OrderingErrorCodes.EmptyOrder },
        { "mixed-currencies", OrderingErrorCodes.CurrencyMismatch },
        { "shipping-in-another-currency", OrderingErrorCodes.CurrencyMismatch },
        { "zero-quantity", OrderingErrorCodes.InvalidQuantity },
        { "negative-quantity", OrderingErrorCodes.InvalidQuantity },
        { "negative-price", OrderingErrorCodes.InvalidAmount },
        { "negative-tax", OrderingErrorCodes.InvalidAmount },
        { "duplicate-line", OrderingErrorCodes.DuplicateLine },
        { "blank-actor", OrderingErrorCodes.InvalidText },
        { "no-buyer", CoreErrorCodes.InvalidIdentifier },
        { "overflowing-total", OrderingErrorCodes.InvalidAmount },
    };

    [Theory]
    [MemberData(nameof(BadPlacements))]
    public async Task A_bad_placement_gets_a_typed_error_and_writes_nothing(string kind, string code)
    {
        var good = Placement("o-1", "buyer-1", Line("sku-1", "seller-a"), Line("sku-2", "seller-b"));
        var bad = kind switch
        {
            "empty" => good with { Lines = [] },
            "mixed-currencies" => good with { Lines = [Line("sku-1", "seller-a"), new OrderLine(new Sku("sku-2"), new SellerId("seller-b"), 1, new Money(500, Currency.EUR))] },
            "shipping-in-another-currency" => good with { Shipping = new Money(500, Currency.EUR) },
            "zero-quantity" => good with { Lines = [Line("sku-1", "seller-a", quantity: 0)] },
            "negative-quantity" => good with { Lines = [Line("sku-1", "seller-a"), Line("sku-2", "seller-a", quantity: -2)] },
            "negative-price" => good with { Lines = [Line("sku-1", "seller-a", unitPrice: -1)] },
            "negative-tax" => good with { Tax = Usd(-5) },
            "duplicate-line" => good with { Lines = [Line("sku-1", "seller-a"), Line("sku-1", "seller-a", quantity: 2)] },
            "blank-actor" => good with { Actor = " " },
            "no-buyer" => good with { Buyer = default },
            "overflowing-total" => good with { Lines = [Line("sku-1", "seller-a", quantity: 1_000_000, unitPrice: long.MaxValue / 100)] },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        await AssertErrorAsync(code, () => Orders.ExecuteAsync(bad).AsTask());

        await AssertUnchangedAsync(null, "o-1");
        Assert.Empty(await Orders.ListByBuyerAsync(new BuyerId("buyer-1")) is { } page ? page.Orders : []);
    }

    [Fact]
    public async Task Commands_on_an_unknown_order_are_refused_and_write_nothing()
    {
        var missing = new OrderId("missing");

        await AssertErrorAsync(OrderingErrorCodes.OrderNotFound, () => Orders.ExecuteAsync(new MarkPaid(missing, NextCommandId(), "checkout")).AsTask());
        await AssertErrorAsync(OrderingErrorCodes.OrderNotFound, () => Orders.ReadHistoryAsync(missing).AsTask());
        Assert.Null(await Orders.GetAsync(missing));
        await AssertUnchangedAsync(null, "missing");
    }

    [Fact]
    public async Task Fulfilment_commands_for_a_seller_without_lines_in_the_order_are_refused_and_write_nothing()
    {
        var paid = await PlacePaidAsync("o-1", "seller-a");
        await DrainOutboxAsync();

        await AssertErrorAsync(OrderingErrorCodes.UnknownFulfilment,
            () => Orders.ExecuteAsync(new ShipFulfilment(paid.Id, NextCommandId(), "seller-z", new SellerId("seller-z"), "T")).AsTask());
        await AssertErrorAsync(OrderingErrorCodes.UnknownFulfilment,
            () => Orders.ExecuteAsync(new DeliverFulfilment(paid.Id, NextCommandId(), "seller-z", new SellerId("seller-z"))).AsTask());
        await AssertUnchangedAsync(paid, "o-1");
    }

    [Fact]
    public async Task Bad_command_fields_are_refused_before_the_store_is_touched()
    {
        var paid = await PlacePaidAsync("o-1");
        await DrainOutboxAsync();

        await AssertErrorAsync(OrderingErrorCodes.InvalidText,
            () => Orders.ExecuteAsync(new ShipFulfilment(paid.Id, NextCommandId(), "seller-a", new SellerId("seller-a"), "")).AsTask());
        await AssertErrorAsync(OrderingErrorCodes.InvalidText,
            () => Orders.ExecuteAsync(new CancelOrder(paid.Id, NextCommandId(), "buyer") { Reason = new string('x', 1001) }).AsTask());
        await AssertErrorAsync(OrderingErrorCodes.InvalidAmount,
            () => Orders.ExecuteAsync(new RefundOrder(paid.Id, NextCommandId(), "support", Usd(0))).AsTask());
        await AssertErrorAsync(OrderingErrorCodes.CurrencyMismatch,
            () => Orders.ExecuteAsync(new RefundOrder(paid.Id, NextCommandId(), "support", new Money(100, Currency.EUR))).AsTask());
        await AssertErrorAsync(CoreErrorCodes.InvalidIdentifier,
            () => Orders.ExecuteAsync(new MarkPaid(paid.Id, default, "checkout")).AsTask());
        await AssertUnchangedAsync(paid, "o-1");
    }
}
