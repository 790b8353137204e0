namespace Commerce.Core.Tests;

public sealed class IdentifierTests
{
    [Fact]
    public void Identifiers_compare_ordinally_and_print_their_value()
    {
        var a = new Sku("ABC-1");
        Assert.Equal(new Sku("ABC-1"), a);
        Assert.NotEqual(new Sku("abc-1"), a);
        Assert.True(new Sku("A") < new Sku("B"));
        Assert.Equal("ABC-1", a.ToString());
        Assert.Equal("ABC-1", $"{a}");
        Assert.True(default(Sku).IsEmpty);
        Assert.Throws<InvalidOperationException>(() => default(Sku).Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("with space")]
    [InlineData("new\nline")]
    [InlineData("naïve")]
    public void Malformed_values_are_rejected(string? value)
    {
        Assert.False(Sku.TryParse(value, out _));
        Assert.Equal(CoreErrorCodes.InvalidIdentifier, Assert.Throws<CommerceValidationException>(() => new Sku(value!)).Code);
    }

    [Fact]
    public void Length_limits_are_enforced_per_kind()
    {
        Assert.True(IdempotencyKey.TryParse(new string('k', IdempotencyKey.MaxLength), out _));
        Assert.False(IdempotencyKey.TryParse(new string('k', IdempotencyKey.MaxLength + 1), out _));
        Assert.True(Sku.TryParse(new string('s', Sku.MaxLength), out _));
        Assert.False(Sku.TryParse(new string('s', Sku.MaxLength + 1), out _));
        var error = Assert.Throws<CommerceValidationException>(() => new OrderId(new string('o', OrderId.MaxLength + 1)));
        Assert.Equal("OrderId", error.Error.Target);
    }
}
