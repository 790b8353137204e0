using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Commerce.Payments;

public sealed partial class PaymentService
{
    private ImmutableArray<PaymentSplit> ValidateAuthorize(AuthorizePaymentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PaymentId.IsEmpty)
        {
            throw new CommerceValidationException(PaymentErrorCodes.InvalidRequest, "A payment id is required.", "paymentId");
        }

        ValidateKey(request.IdempotencyKey);
        ValidateAmount(request.Amount);
        var method = request.PaymentMethod;
        if (string.IsNullOrEmpty(method) || method.Length > _options.MaxPaymentMethodLength || method.AsSpan().ContainsAnyExceptInRange('!', '~'))
        {
            throw new CommerceValidationException(
                PaymentErrorCodes.InvalidRequest,
                $"The payment method must be 1 to {_options.MaxPaymentMethodLength} printable ASCII characters.", "paymentMethod");
        }

        var splits = request.Splits ?? [];
        if (splits.Count == 0)
        {
            return [];
        }

        if (splits.Count > _options.MaxSplits)
        {
            throw new CommerceValidationException(PaymentErrorCodes.InvalidRequest, $"A payment may have at most {_options.MaxSplits} splits.", "splits");
        }

        // By index, duplicates found by scanning the splits already taken (at most MaxSplits): no enumerator, set or
        // builder per request, and the array becomes the payment's without a copy.
        var taken = new PaymentSplit[splits.Count];
        long total = 0;
        for (var i = 0; i < splits.Count; i++)
        {
            var split = splits[i];
            if (split.SellerId.IsEmpty || IsTaken(taken.AsSpan(0, i), split.SellerId))
            {
                throw new CommerceValidationException(PaymentErrorCodes.InvalidRequest, "Each split needs a seller, and each seller at most one split.", "splits");
            }

            if (split.Amount.Currency != request.Amount.Currency)
            {
                throw new CommerceValidationException(
                    PaymentErrorCodes.CurrencyMismatch, $"Split of seller '{split.SellerId}' is in {split.Amount.Currency.Code}; the payment is in {request.Amount.Currency.Code}.", "splits");
            }

            if (split.Amount.MinorUnits <= 0)
            {
                throw new CommerceValidationException(PaymentErrorCodes.InvalidAmount, $"Split of seller '{split.SellerId}' must be positive.", "splits");
            }

            total = checked(total + split.Amount.MinorUnits);
            if (total > request.Amount.MinorUnits)
            {
                break;
            }

            taken[i] = new PaymentSplit(split.SellerId, split.Amount.MinorUnits, _options.CommissionFor(split.SellerId));
        }

        if (total != request.Amount.MinorUnits)
        {
            throw new CommerceValidationException(
                PaymentErrorCodes.InvalidRequest, $"The splits must add up to the amount {request.Amount.MinorUnits}; they add up to {total} or more.", "splits");
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(taken);
    }

    private static bool IsTaken(ReadOnlySpan<PaymentSplit> taken, SellerId seller)
    {
        foreach (var split in taken)
        {
            if (split.SellerId == seller)
            {
                return true;
            }
        }

        return false;
    }

    private static void ValidateKey(IdempotencyKey key)
    {
        if (key.IsEmpty)
        {
            throw new CommerceValidationException(PaymentErrorCodes.InvalidRequest, "An idempotency key is required.", "idempotencyKey");
        }
    }

    private void ValidateAmount(Money amount)
    {
        if (amount.Currency == default)
        {
            throw new CommerceValidationException(PaymentErrorCodes.InvalidAmount, "An amount with a currency is required.", "amount");
        }

        if (amount.MinorUnits <= 0 || amount.MinorUnits > _options.MaxAmountMinor)
        {
            throw new CommerceValidationException(
                PaymentErrorCodes.InvalidAmount, $"The amount must be between 1 and {_options.MaxAmountMinor} minor units; it is {amount.MinorUnits}.", "amount");
        }
    }
}
