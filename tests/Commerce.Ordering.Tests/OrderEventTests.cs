namespace Commerce.Ordering.Tests;

/// <summary>An event's optional data is stored compactly; every value a property can take must read back as given.</summary>
public sealed class OrderEventTests
{
    private static readonly OrderEvent Base = new(new OrderId("o-1"), 2, Guid.NewGuid(), OrderEventType.Paid, new CommandId("c-2"), "psp", null,
        new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero), OrderState.AwaitingPayment, OrderState.Paid);

    private static readonly Money?[] Values = [null, default(Money), new Money(0, Currency.USD), new Money(-3, Currency.JPY), new Money(long.MaxValue, Currency.KWD)];

    public static TheoryData<int> Amounts() => [.. Enumerable.Range(0, Values.Length)];

    [Theory]
    [MemberData(nameof(Amounts))]
    public void Amounts_read_back_as_given_and_decide_equality(int index)
    {
        var amount = Values[index];
        var change = Base with { Shipping = amount, Tax = amount, Amount = amount };
        Assert.Equal((amount, amount, amount), (change.Shipping, change.Tax, change.Amount));
        Assert.Equal(amount?.Currency.Exponent, change.Amount?.Currency.Exponent);
        Assert.Equal(Base with { Shipping = amount, Tax = amount, Amount = amount }, change);
        Assert.Equal((Base with { Shipping = amount, Tax = amount, Amount = amount }).GetHashCode(), change.GetHashCode());
        foreach (var other in Values.Where(a => a != amount))
        {
            Assert.NotEqual(change, change with { Shipping = other });
            Assert.NotEqual(change, change with { Tax = other });
            Assert.NotEqual(change, change with { Amount = other });
        }
    }

    [Fact]
    public void Ids_read_back_as_given_including_empty_ones_and_can_be_cleared()
    {
        var change = Base with { Buyer = new BuyerId("b"), Seller = new SellerId("s"), PaymentId = new PaymentId("p") };
        Assert.Equal((new BuyerId("b"), new SellerId("s"), new PaymentId("p")), (change.Buyer!.Value, change.Seller!.Value, change.PaymentId!.Value));

        var empty = Base with { Buyer = default(BuyerId), Seller = default(SellerId), PaymentId = default(PaymentId) };
        Assert.True(empty.Buyer is { IsEmpty: true } && empty.Seller is { IsEmpty: true } && empty.PaymentId is { IsEmpty: true });
        Assert.NotEqual(Base, empty);

        var cleared = change with { Buyer = null, Seller = null, PaymentId = null };
        Assert.Equal(Base, cleared);
        Assert.Equal(Base.GetHashCode(), cleared.GetHashCode());
        Assert.Equal(Base.ToString(), cleared.ToString());
        Assert.Null(cleared.Buyer);
        Assert.Null(cleared.Seller);
        Assert.Null(cleared.PaymentId);
        // Setting one leaves the others as they were.
        Assert.Equal(((BuyerId?)null, new SellerId("s"), (PaymentId?)null), ((change with { Buyer = null, PaymentId = null }).Buyer, change.Seller, cleared.PaymentId));
    }

    [Fact]
    public void The_text_form_names_every_value()
    {
        var change = Base with { Seller = new SellerId("seller-a"), Amount = new Money(250, Currency.EUR), PaymentId = new PaymentId("pay-9") };
        var text = change.ToString();
        Assert.Contains("Seller = seller-a", text, StringComparison.Ordinal);
        Assert.Contains("PaymentId = pay-9", text, StringComparison.Ordinal);
        Assert.Contains($"Amount = {new Money(250, Currency.EUR)}", text, StringComparison.Ordinal);
        Assert.Contains("Buyer = ,", text, StringComparison.Ordinal);
    }
}
