using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Payments;

/// <summary>
/// Hashes the canonical form of a request (operation and every field that changes its meaning) with SHA-256, so a
/// key replayed with a different body is recognised without storing the body.
/// </summary>
internal static class RequestFingerprint
{
    public static string Authorize(AuthorizePaymentRequest request)
    {
        var builder = new StringBuilder(128)
            .Append("authorize\n").Append(request.PaymentId.Value).Append('\n')
            .Append(request.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(request.Amount.Currency.Code).Append('\n')
            .Append(request.PaymentMethod).Append('\n')
            .Append(request.OrderId?.Value).Append('\n')
            .Append(request.Provider).Append('\n');
        foreach (var split in request.Splits)
        {
            builder.Append(split.SellerId.Value).Append('=').Append(split.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(split.Amount.Currency.Code).Append('\n');
        }

        return Hash(builder);
    }

    public static string Capture(CapturePaymentRequest request) => Hash(new StringBuilder(96)
        .Append("capture\n").Append(request.PaymentId.Value).Append('\n')
        .Append(request.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(request.Amount.Currency.Code).Append('\n')
        .Append(request.IsFinal ? "final" : "partial"));

    public static string Void(VoidPaymentRequest request) => Hash(new StringBuilder(64).Append("void\n").Append(request.PaymentId.Value));

    public static string Refund(RefundPaymentRequest request) => Hash(new StringBuilder(96)
        .Append("refund\n").Append(request.PaymentId.Value).Append('\n')
        .Append(request.Amount.MinorUnits.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(request.Amount.Currency.Code));

    private static string Hash(StringBuilder canonical)
    {
        var length = Encoding.UTF8.GetMaxByteCount(canonical.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = 0;
            foreach (var chunk in canonical.GetChunks())
            {
                written += Encoding.UTF8.GetBytes(chunk.Span, rented.AsSpan(written));
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(rented.AsSpan(0, written), hash);
            return Convert.ToBase64String(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
