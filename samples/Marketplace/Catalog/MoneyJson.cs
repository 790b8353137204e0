using Commerce;

namespace Marketplace.Catalog;

/// <summary>A price as clients send it: an exact decimal amount in major units and an ISO 4217 code.</summary>
public sealed record PriceInput(decimal? Amount, string? Currency);

/// <summary>A price as the API returns it: <c>{ "amount": 12.50, "currency": "USD" }</c>.</summary>
public sealed record MoneyView(decimal Amount, string Currency)
{
    // Multiplying by 0.01m (rather than dividing by 100) keeps the currency's scale, so 1250 cents serialize as
    // 12.50, not 12.5: clients see every price with its currency's number of decimals.
    private static readonly decimal[] MinorUnit = [1m, 0.1m, 0.01m, 0.001m, 0.0001m];

    /// <summary>The view of an amount.</summary>
    public static MoneyView From(Money money) => new(money.MinorUnits * MinorUnit[money.Currency.Exponent], money.Currency.Code);
}
