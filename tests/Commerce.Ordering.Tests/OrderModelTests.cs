namespace Commerce.Ordering.Tests;

/// <summary>The order keeps its amounts as minor units of its currency; what it is given must come back unchanged.</summary>
public sealed class OrderModelTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly OrderLine[] Lines = [new(new Sku("sku-1"), new SellerId("seller-a"), 3, new Money(1_000, Currency.KWD))];

    [Fact]
    public void Every_amount_comes_back_as_given()
    {
        var order = New(refunded: new Money(700, Currency.KWD), refundRequested: new Money(2_000, Currency.KWD), paymentId: new PaymentId("pay-1"));

        Assert.Equal(new Money(3_000, Currency.KWD), order.Subtotal);
        Assert.Equal(new Money(40, Currency.KWD), order.Shipping);
        Assert.Equal(new Money(5, Currency.KWD), order.Tax);
        Assert.Equal(new Money(3_045, Currency.KWD), order.Total);
        Assert.Equal(new Money(700, Currency.KWD), order.Refunded);
        Assert.Equal(new Money(2_000, Currency.KWD), order.RefundRequested);
        Assert.Equal(new PaymentId("pay-1"), order.PaymentId);

        var bare = New(refunded: Money.Zero(Currency.KWD), refundRequested: null, paymentId: null);
        Assert.Null(bare.RefundRequested);
        Assert.Null(bare.PaymentId);
        Assert.NotEqual(order, bare);

        // A later event keeps what placement fixed and takes what it changes.
        var paid = bare.With(OrderState.Paid, 2, At.AddMinutes(1), paymentId: new PaymentId("pay-2"));
        Assert.Equal((bare.Total, bare.Subtotal, bare.Lines, new PaymentId("pay-2"), 2L), (paid.Total, paid.Subtotal, paid.Lines, paid.PaymentId, paid.Version));
        var cancelled = paid.With(OrderState.Cancelled, 3, At.AddMinutes(2), refundRequested: paid.Total);
        Assert.Equal((paid.Total, new PaymentId("pay-2")), (cancelled.RefundRequested, cancelled.PaymentId));
    }

    [Fact]
    public void Edge_values_are_kept_exactly()
    {
        // An empty payment id and a refund in another currency: nothing OrderService makes, but a history may carry them.
        var odd = New(refunded: new Money(1, Currency.EUR), refundRequested: new Money(-5, Currency.JPY), paymentId: default(PaymentId));
        Assert.Equal(new Money(1, Currency.EUR), odd.Refunded);
        Assert.Equal(new Money(-5, Currency.JPY), odd.RefundRequested);
        Assert.True(odd.PaymentId is { IsEmpty: true });

        var later = odd.With(OrderState.Cancelled, 2, At);
        Assert.Equal((odd.Refunded, odd.RefundRequested, odd.PaymentId), (later.Refunded, later.RefundRequested, later.PaymentId));
        Assert.Equal(new Money(9, Currency.EUR), odd.With(OrderState.Cancelled, 2, At, refunded: new Money(9, Currency.EUR)).Refunded);
        Assert.Equal(new Money(3, Currency.KWD), odd.With(OrderState.Cancelled, 2, At, refundRequested: new Money(3, Currency.KWD)).RefundRequested);
    }

    [Fact]
    public void Shipping_or_tax_in_another_currency_and_totals_past_64_bits_are_refused()
    {
        Assert.Throws<CommerceValidationException>(() => New(shipping: new Money(1, Currency.USD)));
        Assert.Throws<CommerceValidationException>(() => New(tax: new Money(long.MaxValue, Currency.KWD)));
    }

    private static Order New(Money? shipping = null, Money? tax = null, Money? refunded = null, Money? refundRequested = null, PaymentId? paymentId = null) =>
        new(new OrderId("o-1"), new BuyerId("b"), Currency.KWD, Lines, shipping ?? new Money(40, Currency.KWD), tax ?? new Money(5, Currency.KWD),
            OrderState.Paid, [new Fulfilment(new SellerId("seller-a"), FulfilmentState.Pending)], 1, At, At,
            refunded ?? Money.Zero(Currency.KWD), refundRequested, paymentId);
}
