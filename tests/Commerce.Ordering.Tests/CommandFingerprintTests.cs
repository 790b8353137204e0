using System.Security.Cryptography;
using System.Text;

namespace Commerce.Ordering.Tests;

/// <summary>
/// Command fingerprints are stored with every command id (the PostgreSQL store keeps them), so a replay after an upgrade
/// must hash to what the earlier release stored. <see cref="Reference"/> is that release's algorithm, kept verbatim.
/// </summary>
public sealed class CommandFingerprintTests
{
    private static readonly OrderService Orders = OrderService.CreateInMemory(new OrderingOptions { MaxLinesPerOrder = 1_000 });

    private static readonly OrderId Id = new("o-1");
    private static readonly CommandId Cmd = new("c-1");

    public static TheoryData<string> Commands() => [.. Samples().Keys];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_hashes_to_the_fingerprint_the_earlier_release_stored(string name)
    {
        var command = Samples()[name];
        Assert.Equal(Reference(command), Orders.Validate(command));
    }

    [Fact]
    public void A_fingerprint_is_pinned_to_its_bytes()
    {
        // The first 16 bytes of SHA-256("MarkPaid" U+001E "pay-1"); actor, reason and expected version are not part of it.
        Assert.Equal(new Guid(SHA256.HashData("MarkPaid\u001epay-1"u8)[..16]),
            Orders.Validate(new MarkPaid(Id, Cmd, "someone else") { PaymentId = new PaymentId("pay-1"), Reason = "ignored", ExpectedVersion = 3 }));
        Assert.NotEqual(Orders.Validate(new MarkPaid(Id, Cmd, "psp")), Orders.Validate(new MarkPaid(Id, Cmd, "psp") { PaymentId = new PaymentId("pay-1") }));
    }

    private static Dictionary<string, OrderCommand> Samples()
    {
        var line = new OrderLine(new Sku("sku-1"), new SellerId("seller-1"), 2, new Money(1_999, Currency.USD));
        // Long enough that the canonical body outgrows the stack buffer and moves to a pooled one.
        var many = Enumerable.Range(0, 300)
            .Select(i => new OrderLine(new Sku($"sku-{i}-{new string('x', 40)}"), new SellerId($"seller-{i % 7}"), i + 1, new Money(i * 1_000_003L, Currency.USD)))
            .ToArray();
        return new()
        {
            ["place"] = new PlaceOrder(Id, Cmd, "checkout", new BuyerId("buyer-1"), [line]) { Shipping = new Money(499, Currency.USD) },
            ["place pending, tax"] = new PlaceOrder(Id, Cmd, "checkout", new BuyerId("b"), [line, line with { Sku = new Sku("sku-2"), Quantity = 1_000_000 }])
            {
                AwaitPayment = false,
                Tax = new Money(12, Currency.USD),
            },
            ["place yen"] = new PlaceOrder(Id, Cmd, "checkout", new BuyerId("b"), [new OrderLine(new Sku("s"), new SellerId("x"), 1, new Money(long.MaxValue / 4, Currency.JPY))]),
            ["place 300 lines"] = new PlaceOrder(Id, Cmd, "checkout", new BuyerId(new string('b', 64)), many),
            ["pay"] = new MarkPaid(Id, Cmd, "psp") { PaymentId = new PaymentId("pay-1") },
            ["pay without payment"] = new MarkPaid(Id, Cmd, "psp"),
            ["ship"] = new ShipFulfilment(Id, Cmd, "seller", new SellerId("seller-1"), "TRACK-1"),
            ["ship, unicode tracking"] = new ShipFulfilment(Id, Cmd, "seller", new SellerId("seller-1"), "Colis n°42 — 📦 " + new string('é', 80)),
            ["ship, lone surrogate"] = new ShipFulfilment(Id, Cmd, "seller", new SellerId("seller-1"), "A\uD800"),
            ["deliver"] = new DeliverFulfilment(Id, Cmd, "carrier", new SellerId("seller-1")),
            ["refund"] = new RefundOrder(Id, Cmd, "support", new Money(1_234, Currency.KWD)),
            ["request payment"] = new RequestPayment(Id, Cmd, "checkout"),
            ["cancel"] = new CancelOrder(Id, Cmd, "buyer") { Reason = "changed my mind" },
            ["request return"] = new RequestReturn(Id, Cmd, "buyer"),
            ["receive return"] = new ReceiveReturn(Id, Cmd, "warehouse"),
        };
    }

    /// <summary>The fingerprint as the earlier release computed it: a StringBuilder body, UTF-8, SHA-256, 16 bytes.</summary>
    private static Guid Reference(OrderCommand command)
    {
        var body = new StringBuilder(64).Append(command.GetType().Name).Append('\u001e');
        switch (command)
        {
            case PlaceOrder place:
                var currency = place.Lines[0].UnitPrice.Currency;
                body.Append(place.Buyer.Value).Append('\u001f').Append(place.AwaitPayment ? '1' : '0').Append('\u001e');
                foreach (var line in place.Lines)
                {
                    body.Append(line.Sku.Value).Append('\u001f').Append(line.Seller.Value).Append('\u001f')
                        .Append(line.Quantity).Append('\u001f').Append(line.UnitPrice.MinorUnits).Append('\u001e');
                }

                var shipping = place.Shipping ?? Money.Zero(currency);
                var tax = place.Tax ?? Money.Zero(currency);
                body.Append(currency.Code).Append('\u001f').Append(shipping.MinorUnits).Append('\u001f').Append(tax.MinorUnits);
                break;
            case MarkPaid paid:
                body.Append(paid.PaymentId?.Value);
                break;
            case ShipFulfilment ship:
                body.Append(ship.Seller.Value).Append('\u001f').Append(ship.TrackingNumber);
                break;
            case DeliverFulfilment deliver:
                body.Append(deliver.Seller.Value);
                break;
            case RefundOrder refund:
                body.Append(refund.Amount.MinorUnits).Append(refund.Amount.Currency.Code);
                break;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(body.ToString()));
        return new Guid(hash.AsSpan(0, 16));
    }
}
