namespace Commerce.Checkout;

/// <summary>One line of a checkout: a SKU, how many, and the unit price the buyer saw.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Quantity">Units, at least 1 and at most <see cref="CheckoutOptions.MaxQuantityPerLine"/>.</param>
/// <param name="ExpectedUnitPrice">The unit price the buyer was shown; a different current price fails the checkout with <c>checkout.price_changed</c>.</param>
public sealed record CheckoutLine(Sku Sku, long Quantity, Money ExpectedUnitPrice);

/// <summary>A request to buy a cart.</summary>
/// <param name="IdempotencyKey">
/// The caller's key. Once a checkout has started under a key, repeating the request returns that checkout's outcome
/// (never a second charge); the key with another cart, buyer or payment method is <c>checkout.idempotency_key_reused</c>.
/// A request refused before anything changed (bad input, busy, sold out, price changed) leaves its key free.
/// </param>
/// <param name="Buyer">The buyer.</param>
/// <param name="Lines">The cart: at least one line, each SKU once, all prices in <paramref name="Currency"/>.</param>
/// <param name="Currency">The currency the buyer pays in.</param>
/// <param name="PaymentMethod">The PSP token of the buyer's payment method (never card data).</param>
public sealed record CheckoutRequest(
    IdempotencyKey IdempotencyKey,
    BuyerId Buyer,
    IReadOnlyList<CheckoutLine> Lines,
    Currency Currency,
    string PaymentMethod);
