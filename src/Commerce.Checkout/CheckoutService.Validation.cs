using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Checkout;

public sealed partial class CheckoutService
{
    private const int MaxPaymentMethodLength = 255;

    // Checkout ids: a random per-process prefix and a counter. Unique across processes without a random draw per id.
    private static readonly string IdPrefix = "co-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + "-";
    private static long _idSequence;

    /// <summary>Checks the request's shape; returns the first problem, or null with the total in minor units.</summary>
    private CommerceError? Validate(CheckoutRequest request, out long totalMinor)
    {
        totalMinor = 0;
        if (request.IdempotencyKey.IsEmpty)
        {
            return new CommerceError(CheckoutErrorCodes.MissingIdempotencyKey, "A checkout needs an idempotency key.", nameof(request.IdempotencyKey));
        }

        if (request.Buyer.IsEmpty)
        {
            return new CommerceError(CheckoutErrorCodes.InvalidRequest, "A checkout needs a buyer.", nameof(request.Buyer));
        }

        if (string.IsNullOrWhiteSpace(request.PaymentMethod) || request.PaymentMethod.Length > MaxPaymentMethodLength)
        {
            return new CommerceError(CheckoutErrorCodes.InvalidRequest,
                $"A checkout needs a payment method token of 1 to {MaxPaymentMethodLength} characters.", nameof(request.PaymentMethod));
        }

        if (request.Currency == default)
        {
            return new CommerceError(CheckoutErrorCodes.InvalidRequest, "A checkout needs a currency.", nameof(request.Currency));
        }

        var lines = request.Lines;
        if (lines is null || lines.Count == 0)
        {
            return new CommerceError(CheckoutErrorCodes.EmptyCart, "The cart is empty.", nameof(request.Lines));
        }

        if (lines.Count > _options.MaxLines)
        {
            return new CommerceError(CheckoutErrorCodes.TooManyLines,
                $"A checkout may have at most {_options.MaxLines} lines; it has {lines.Count}.", nameof(request.Lines));
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line is null || line.Sku.IsEmpty)
            {
                return new CommerceError(CheckoutErrorCodes.InvalidRequest, $"Line {i} has no SKU.", nameof(request.Lines));
            }

            if (line.Quantity <= 0 || line.Quantity > _options.MaxQuantityPerLine)
            {
                return new CommerceError(CheckoutErrorCodes.InvalidQuantity,
                    $"Line {i} ({line.Sku}) asks for {line.Quantity} units; a line must ask for 1 to {_options.MaxQuantityPerLine}.", "Quantity");
            }

            if (line.ExpectedUnitPrice.Currency != request.Currency)
            {
                return new CommerceError(CheckoutErrorCodes.CurrencyMismatch,
                    $"Line {i} ({line.Sku}) is priced in {CodeOf(line.ExpectedUnitPrice.Currency)}, not {request.Currency.Code}.", "ExpectedUnitPrice");
            }

            if (line.ExpectedUnitPrice.IsNegative)
            {
                return new CommerceError(CheckoutErrorCodes.InvalidRequest, $"Line {i} ({line.Sku}) has a negative price.", "ExpectedUnitPrice");
            }

            for (var j = 0; j < i; j++)
            {
                if (lines[j].Sku == line.Sku)
                {
                    return new CommerceError(CheckoutErrorCodes.DuplicateLine,
                        $"Lines {j} and {i} both name {line.Sku}; merge them into one line.", nameof(request.Lines));
                }
            }

            long lineTotal;
            try
            {
                lineTotal = checked(line.Quantity * line.ExpectedUnitPrice.MinorUnits);
                totalMinor = checked(totalMinor + lineTotal);
            }
            catch (OverflowException)
            {
                totalMinor = 0;
                return new CommerceError(CheckoutErrorCodes.InvalidQuantity, "The cart's total is too large to represent.", nameof(request.Lines));
            }
        }

        if (totalMinor == 0)
        {
            return new CommerceError(CheckoutErrorCodes.InvalidRequest, "The cart's total is zero; nothing to pay.", nameof(request.Lines));
        }

        return null;
    }

    private static string CodeOf(Currency currency) => currency == default ? "(none)" : currency.Code;

    /// <summary>SHA-256 of the canonical request (buyer, currency, payment method, lines in order), as a Guid.</summary>
    private static Guid Fingerprint(CheckoutRequest request)
    {
        var lines = request.Lines;
        var size = request.Buyer.Value.Length + request.Currency.Code.Length + request.PaymentMethod.Length * 3 + 3;
        for (var i = 0; i < lines.Count; i++)
        {
            size += lines[i].Sku.Value.Length + 17;
        }

        byte[]? rented = null;
        var buffer = size <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            // Identifiers are printable ASCII (one byte a character); the token is written as UTF-8.
            var at = Encoding.ASCII.GetBytes(request.Buyer.Value, buffer);
            buffer[at++] = 0;
            at += Encoding.ASCII.GetBytes(request.Currency.Code, buffer[at..]);
            buffer[at++] = 0;
            at += Encoding.UTF8.GetBytes(request.PaymentMethod, buffer[at..]);
            buffer[at++] = 0;
            for (var i = 0; i < lines.Count; i++)
            {
                at += Encoding.ASCII.GetBytes(lines[i].Sku.Value, buffer[at..]);
                buffer[at++] = 0;
                BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], lines[i].Quantity);
                BinaryPrimitives.WriteInt64LittleEndian(buffer[(at + 8)..], lines[i].ExpectedUnitPrice.MinorUnits);
                at += 16;
            }

            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buffer[..at], hash);
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

    private CheckoutSaga NewSaga(CheckoutRequest request, Guid fingerprint, CheckoutSagaLine[] lines, long totalMinor)
    {
        var id = new CheckoutId(string.Concat(IdPrefix, Interlocked.Increment(ref _idSequence).ToString("x", System.Globalization.CultureInfo.InvariantCulture)));
        var now = Now();
        return new CheckoutSaga
        {
            Id = id,
            IdempotencyKey = request.IdempotencyKey,
            Fingerprint = fingerprint,
            Buyer = request.Buyer,
            Currency = request.Currency,
            Lines = lines,
            TotalMinor = totalMinor,
            PaymentMethod = request.PaymentMethod,
            CaptureMode = _options.CaptureMode,
            ReservationId = new ReservationId(id.Value),
            OrderId = new OrderId(id.Value),
            PaymentId = new PaymentId(id.Value),
            ReservationExpiresAt = ToMicroseconds(now + _options.ReservationTtl),
            Step = CheckoutStep.OrderPlaced,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
            LeaseExpiresAt = ToMicroseconds(now + _options.SagaLease),
        };
    }

    /// <summary>The time, truncated to whole microseconds (what PostgreSQL keeps), so a saga reads back as written.</summary>
    private DateTimeOffset Now() => ToMicroseconds(_timeProvider.GetUtcNow());

    private static DateTimeOffset ToMicroseconds(DateTimeOffset time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerMicrosecond));
}
