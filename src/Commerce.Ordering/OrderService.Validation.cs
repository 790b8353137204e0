using System.Globalization;
using System.Runtime.CompilerServices;
using Commerce.Hashing;

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

        // The canonical body is written as UTF-8 straight into a stack buffer (a pooled one for large orders) and hashed
        // from there: the same bytes the earlier StringBuilder form encoded, so stored fingerprints stay valid.
        var body = new CanonicalHash(stackalloc byte[512]);
        try
        {
            switch (command)
            {
                case PlaceOrder place:
                    body.Text(nameof(PlaceOrder)).Separator(RecordSeparator);
                    ValidatePlacement(place, ref body);
                    break;
                case MarkPaid paid:
                    body.Text(nameof(MarkPaid)).Separator(RecordSeparator).Text(paid.PaymentId?.Value);
                    break;
                case ShipFulfilment ship:
                    RequireId(ship.Seller.IsEmpty, nameof(ship.Seller));
                    RequireText(ship.TrackingNumber, MaxTrackingNumberLength, nameof(ship.TrackingNumber));
                    body.Text(nameof(ShipFulfilment)).Separator(RecordSeparator)
                        .Text(ship.Seller.Value).Separator(UnitSeparator).Text(ship.TrackingNumber);
                    break;
                case DeliverFulfilment deliver:
                    RequireId(deliver.Seller.IsEmpty, nameof(deliver.Seller));
                    body.Text(nameof(DeliverFulfilment)).Separator(RecordSeparator).Text(deliver.Seller.Value);
                    break;
                case RefundOrder refund:
                    if (refund.Amount.Currency == default || refund.Amount.MinorUnits <= 0)
                    {
                        throw Invalid(OrderingErrorCodes.InvalidAmount, "A refund is an amount above zero.", nameof(refund.Amount));
                    }

                    body.Text(nameof(RefundOrder)).Separator(RecordSeparator).Number(refund.Amount.MinorUnits).Text(refund.Amount.Currency.Code);
                    break;
                case RequestPayment:
                    body.Text(nameof(RequestPayment)).Separator(RecordSeparator);
                    break;
                case CancelOrder:
                    body.Text(nameof(CancelOrder)).Separator(RecordSeparator);
                    break;
                case RequestReturn:
                    body.Text(nameof(RequestReturn)).Separator(RecordSeparator);
                    break;
                case ReceiveReturn:
                    body.Text(nameof(ReceiveReturn)).Separator(RecordSeparator);
                    break;
                default:
                    throw new ArgumentException($"{command.GetType().Name} is not an ordering command.", nameof(command));
            }

            return body.ToFingerprint();
        }
        finally
        {
            body.Dispose();
        }
    }

    private void ValidatePlacement(PlaceOrder place, ref CanonicalHash body)
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
        body.Text(place.Buyer.Value).Separator(UnitSeparator).Separator(place.AwaitPayment ? (byte)'1' : (byte)'0').Separator(RecordSeparator);
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

            if (line.UnitPrice.Currency != currency || line.UnitPrice.IsNegative)
            {
                // The message names the line, so it is built only when the price is wrong.
                RequireCurrency(line.UnitPrice, currency, $"Line {i} ({line.Sku})", "UnitPrice");
            }
            for (var j = 0; j < i; j++)
            {
                if (lines[j].Sku == line.Sku && lines[j].Seller == line.Seller)
                {
                    throw Invalid(OrderingErrorCodes.DuplicateLine,
                        $"Lines {j} and {i} both sell {line.Sku} from {line.Seller}; merge them into one line.", nameof(place.Lines));
                }
            }

            total = AddLine(total, line);
            body.Text(line.Sku.Value).Separator(UnitSeparator).Text(line.Seller.Value).Separator(UnitSeparator)
                .Number(line.Quantity).Separator(UnitSeparator).Number(line.UnitPrice.MinorUnits).Separator(RecordSeparator);
        }

        var shipping = place.Shipping ?? Money.Zero(currency);
        var tax = place.Tax ?? Money.Zero(currency);
        RequireCurrency(shipping, currency, "Shipping", nameof(place.Shipping));
        RequireCurrency(tax, currency, "Tax", nameof(place.Tax));
        total = Add(total, shipping);
        Add(total, tax);
        body.Text(currency.Code).Separator(UnitSeparator).Number(shipping.MinorUnits).Separator(UnitSeparator).Number(tax.MinorUnits);

        // The line total is computed inside the overflow guard: quantity times price can overflow before the sum does.
        static Money AddLine(Money total, OrderLine line)
        {
            try
            {
                return total + line.LineTotal;
            }
            catch (CommerceValidationException ex) when (ex.Code == CoreErrorCodes.AmountOverflow)
            {
                throw TotalOverflow();
            }
        }

        static Money Add(Money total, Money amount)
        {
            try
            {
                return total + amount;
            }
            catch (CommerceValidationException ex) when (ex.Code == CoreErrorCodes.AmountOverflow)
            {
                throw TotalOverflow();
            }
        }

        static CommerceValidationException TotalOverflow() =>
            Invalid(OrderingErrorCodes.InvalidAmount, "The order's total does not fit in 64-bit minor units.", "Lines");
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

    private const byte RecordSeparator = CanonicalHash.RecordSeparator;
    private const byte UnitSeparator = CanonicalHash.UnitSeparator;
}
