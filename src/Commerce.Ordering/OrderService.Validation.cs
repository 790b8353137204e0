using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Ordering;

public sealed partial class OrderService
{
    private const int MaxActorLength = 200;
    private const int MaxReasonLength = 1000;
    private const int MaxTrackingNumberLength = 100;

    /// <summary>Checks a command and returns the fingerprint of its body; throws, having touched nothing, when it is invalid.</summary>
    internal Guid Validate(OrderCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        RequireId(command.OrderId.IsEmpty, nameof(command.OrderId));
        RequireId(command.CommandId.IsEmpty, nameof(command.CommandId));
        RequireText(command.Actor, MaxActorLength, nameof(command.Actor));
        if (command.Reason is not null)
        {
            RequireText(command.Reason, MaxReasonLength, nameof(command.Reason));
        }

        if (command.ExpectedVersion is < 0)
        {
            throw Invalid(OrderingErrorCodes.VersionConflict, "An expected version is 0 or more.", nameof(command.ExpectedVersion));
        }

        var body = new StringBuilder(64).Append(command.GetType().Name).Append('\u001e');
        switch (command)
        {
            case PlaceOrder place:
                ValidatePlacement(place, body);
                break;
            case MarkPaid paid:
                body.Append(paid.PaymentId?.Value);
                break;
            case ShipFulfilment ship:
                RequireId(ship.Seller.IsEmpty, nameof(ship.Seller));
                RequireText(ship.TrackingNumber, MaxTrackingNumberLength, nameof(ship.TrackingNumber));
                body.Append(ship.Seller.Value).Append('\u001f').Append(ship.TrackingNumber);
                break;
            case DeliverFulfilment deliver:
                RequireId(deliver.Seller.IsEmpty, nameof(deliver.Seller));
                body.Append(deliver.Seller.Value);
                break;
            case RefundOrder refund:
                if (refund.Amount.Currency == default || refund.Amount.MinorUnits <= 0)
                {
                    throw Invalid(OrderingErrorCodes.InvalidAmount, "A refund is an amount above zero.", nameof(refund.Amount));
                }

                body.Append(refund.Amount.MinorUnits).Append(refund.Amount.Currency.Code);
                break;
            case RequestPayment or CancelOrder or RequestReturn or ReceiveReturn:
                break;
            default:
                throw new ArgumentException($"{command.GetType().Name} is not an ordering command.", nameof(command));
        }

        return Fingerprint(body.ToString());
    }

    private void ValidatePlacement(PlaceOrder place, StringBuilder body)
    {
        RequireId(place.Buyer.IsEmpty, nameof(place.Buyer));
        var lines = place.Lines;
        if (lines is null || lines.Count == 0)
        {
            throw Invalid(OrderingErrorCodes.EmptyOrder, "An order needs at least one line.", nameof(place.Lines));
        }

        if (lines.Count > _options.MaxLinesPerOrder)
        {
            throw Invalid(OrderingErrorCodes.TooManyLines,
                $"An order may have at most {_options.MaxLinesPerOrder} lines; it has {lines.Count}.", nameof(place.Lines));
        }

        var currency = lines[0]?.UnitPrice.Currency ?? default;
        if (currency == default)
        {
            throw Invalid(OrderingErrorCodes.InvalidAmount, "Line 0 has no price.", "UnitPrice");
        }

        var total = Money.Zero(currency);
        body.Append(place.Buyer.Value).Append('\u001f').Append(place.AwaitPayment ? '1' : '0').Append('\u001e');
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i] ?? throw Invalid(OrderingErrorCodes.EmptyOrder, $"Line {i} is null.", nameof(place.Lines));
            RequireId(line.Sku.IsEmpty, "Sku");
            RequireId(line.Seller.IsEmpty, "Seller");
            if (line.Quantity <= 0 || line.Quantity > _options.MaxQuantityPerLine)
            {
                throw Invalid(OrderingErrorCodes.InvalidQuantity,
                    $"Line {i} ({line.Sku}) has {line.Quantity} units; a line has 1 to {_options.MaxQuantityPerLine}.", "Quantity");
            }

            RequireCurrency(line.UnitPrice, currency, $"Line {i} ({line.Sku})", "UnitPrice");
            for (var j = 0; j < i; j++)
            {
                if (lines[j].Sku == line.Sku && lines[j].Seller == line.Seller)
                {
                    throw Invalid(OrderingErrorCodes.DuplicateLine,
                        $"Lines {j} and {i} both sell {line.Sku} from {line.Seller}; merge them into one line.", nameof(place.Lines));
                }
            }

            total = Add(total, () => line.LineTotal);
            body.Append(line.Sku.Value).Append('\u001f').Append(line.Seller.Value).Append('\u001f')
                .Append(line.Quantity).Append('\u001f').Append(line.UnitPrice.MinorUnits).Append('\u001e');
        }

        var shipping = place.Shipping ?? Money.Zero(currency);
        var tax = place.Tax ?? Money.Zero(currency);
        RequireCurrency(shipping, currency, "Shipping", nameof(place.Shipping));
        RequireCurrency(tax, currency, "Tax", nameof(place.Tax));
        total = Add(total, () => shipping);
        Add(total, () => tax);
        body.Append(currency.Code).Append('\u001f').Append(shipping.MinorUnits).Append('\u001f').Append(tax.MinorUnits);

        static Money Add(Money total, Func<Money> amount)
        {
            try
            {
                return total + amount();
            }
            catch (CommerceValidationException ex) when (ex.Code == CoreErrorCodes.AmountOverflow)
            {
                throw Invalid(OrderingErrorCodes.InvalidAmount, "The order's total does not fit in 64-bit minor units.", "Lines");
            }
        }
    }

    private static void RequireCurrency(Money amount, Currency currency, string what, string target)
    {
        if (amount.Currency == default)
        {
            throw Invalid(OrderingErrorCodes.InvalidAmount, $"{what} has no currency.", target);
        }

        if (amount.Currency != currency)
        {
            throw Invalid(OrderingErrorCodes.CurrencyMismatch,
                $"{what} is in {amount.Currency.Code}; the order is in {currency.Code}. An order has one currency.", target);
        }

        if (amount.IsNegative)
        {
            throw Invalid(OrderingErrorCodes.InvalidAmount,
                string.Create(CultureInfo.InvariantCulture, $"{what} is {amount}; amounts are not negative."), target);
        }
    }

    private static void RequireText(string? text, int maxLength, string name)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > maxLength)
        {
            throw Invalid(OrderingErrorCodes.InvalidText, $"The {name} is 1 to {maxLength} characters, not blank.", name);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequireId(bool isEmpty, string name)
    {
        if (isEmpty)
        {
            throw Invalid(CoreErrorCodes.InvalidIdentifier, $"The {name} is required.", name);
        }
    }

    private static CommerceValidationException Invalid(string code, string message, string? target) => new(code, message, target);

    /// <summary>A 128-bit hash of the command's canonical body (not its actor, reason or expected version).</summary>
    private static Guid Fingerprint(string canonical)
    {
        var byteCount = Encoding.UTF8.GetMaxByteCount(canonical.Length);
        var rented = byteCount > 512 ? ArrayPool<byte>.Shared.Rent(byteCount) : null;
        try
        {
            Span<byte> buffer = rented ?? stackalloc byte[512];
            var written = Encoding.UTF8.GetBytes(canonical, buffer);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..written], hash);
            return new Guid(hash[..16]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
