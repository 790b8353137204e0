using Commerce.Inventory;
using Commerce.Ordering;

namespace Commerce.Checkout;

/// <summary>
/// The fixed mapping from a saga to the commands of its steps: every store and the saga itself derive the same ids and
/// keys from the checkout id, which is what makes re-running any step after a crash safe.
/// </summary>
public static class CheckoutSagas
{
    /// <summary>The actor recorded in the order history for the saga's commands.</summary>
    public const string Actor = "checkout";

    /// <summary>The command id of the order placement (command ids are scoped to their order).</summary>
    public static CommandId PlaceCommandId { get; } = new("checkout-place");

    /// <summary>The command id of marking the order paid.</summary>
    public static CommandId PaidCommandId { get; } = new("checkout-paid");

    /// <summary>The command id of cancelling the order on compensation.</summary>
    public static CommandId CancelCommandId { get; } = new("checkout-cancel");

    /// <summary>The payments idempotency key of the authorization.</summary>
    public static IdempotencyKey AuthorizeKey(CheckoutSaga saga) => Key(saga, "authorize");

    /// <summary>
    /// The payments idempotency key of the void on compensation, at the saga's version: drivers at one version share it,
    /// and a retry after a refused void (a new version) gets a new one. Voiding twice is harmless (a voided payment
    /// refuses a second void).
    /// </summary>
    public static IdempotencyKey VoidKey(CheckoutSaga saga) => Key(saga, "void:v", saga.Version);

    /// <summary>
    /// The payments idempotency key of a capture. The full, final capture (immediate mode) is keyed by the saga's
    /// version like <see cref="VoidKey"/> (a final capture closes the authorization, so a second one is refused). A
    /// seller's share (on-shipment mode) is keyed by the seller alone: shares are partial captures, so a second key
    /// for the same share could capture it twice.
    /// </summary>
    public static IdempotencyKey CaptureKey(CheckoutSaga saga, SellerId? seller = null) =>
        seller is { } s ? new IdempotencyKey(string.Concat(Require(saga).Id.Value, ":capture:", s.Value)) : Key(saga, "capture:v", saga.Version);

    /// <summary>The inventory idempotency key of putting a SKU's committed units back on hand (a composing store's undo of a commit).</summary>
    public static IdempotencyKey RestockKey(CheckoutSaga saga, Sku sku) =>
        new(string.Concat(Require(saga).Id.Value, ":restock:", sku.Value));

    /// <summary>The reservation of every line at the default location, until <see cref="CheckoutSaga.ReservationExpiresAt"/>.</summary>
    public static ReservationRequest ToReservation(CheckoutSaga saga)
    {
        Require(saga);
        var lines = new ReservationLine[saga.Lines.Count];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = new ReservationLine(saga.Lines[i].Sku, saga.Lines[i].Quantity);
        }

        return new ReservationRequest(saga.ReservationId, lines) { Ttl = saga.ReservationExpiresAt - saga.CreatedAt };
    }

    /// <summary>The order placement: one line per checkout line, awaiting payment.</summary>
    public static PlaceOrder ToPlaceOrder(CheckoutSaga saga)
    {
        Require(saga);
        var lines = new OrderLine[saga.Lines.Count];
        for (var i = 0; i < lines.Length; i++)
        {
            var line = saga.Lines[i];
            lines[i] = new OrderLine(line.Sku, line.Seller, line.Quantity, new Money(line.UnitPriceMinor, saga.Currency));
        }

        return new PlaceOrder(saga.OrderId, PlaceCommandId, Actor, saga.Buyer, lines);
    }

    /// <summary>Marks the order paid by the saga's payment.</summary>
    public static MarkPaid ToMarkPaid(CheckoutSaga saga) =>
        new(Require(saga).OrderId, PaidCommandId, Actor) { PaymentId = saga.PaymentId };

    /// <summary>Cancels the order on compensation, with the failure code as the reason.</summary>
    public static CancelOrder ToCancelOrder(CheckoutSaga saga) =>
        new(Require(saga).OrderId, CancelCommandId, Actor) { Reason = saga.FailureCode ?? "checkout.failed" };

    /// <summary>Each seller's share of the total, in the order sellers first appear in the lines.</summary>
    public static IReadOnlyList<(SellerId Seller, long AmountMinor)> SellerShares(CheckoutSaga saga)
    {
        Require(saga);
        var shares = new List<(SellerId Seller, long AmountMinor)>(1);
        foreach (var line in saga.Lines)
        {
            var amount = checked(line.Quantity * line.UnitPriceMinor);
            var index = shares.FindIndex(s => s.Seller == line.Seller);
            if (index < 0)
            {
                shares.Add((line.Seller, amount));
            }
            else
            {
                shares[index] = (line.Seller, checked(shares[index].AmountMinor + amount));
            }
        }

        return shares;
    }

    private static IdempotencyKey Key(CheckoutSaga saga, string step) => new(string.Concat(Require(saga).Id.Value, ":", step));

    private static IdempotencyKey Key(CheckoutSaga saga, string step, long version) =>
        new(string.Concat(Require(saga).Id.Value, ":", step, version.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static CheckoutSaga Require(CheckoutSaga saga)
    {
        ArgumentNullException.ThrowIfNull(saga);
        return saga;
    }
}
