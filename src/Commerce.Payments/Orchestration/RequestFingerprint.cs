using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Payments;

/// <summary>
/// Hashes the canonical form of a request (operation and every field that changes its meaning) with SHA-256, so a
/// key replayed with a different body is recognised without storing the body; the first 128 bits are kept, as a
/// <see cref="Guid"/> like every engine's fingerprint. The canonical bytes are written to the stack (or a pooled buffer
/// for large split lists): a fingerprint allocates nothing.
/// </summary>
internal static class RequestFingerprint
{
    private const int StackLimit = 1024;

    public static Guid Authorize(AuthorizePaymentRequest request)
    {
        var splits = request.Splits ?? [];
        var maxLength = 96 + Max(request.PaymentId.Value) + Max(request.PaymentMethod) + Max(request.OrderId?.Value) + Max(request.Provider)
            + (splits.Count * (Max(SellerId.MaxLength) + 32));
        byte[]? rented = null;
        var buffer = maxLength <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(maxLength));
        try
        {
            var writer = new CanonicalWriter(buffer);
            writer.Text("authorize");
            writer.Text(request.PaymentId.Value);
            writer.Amount(request.Amount);
            writer.Text(request.PaymentMethod);
            writer.Text(request.OrderId?.Value);
            writer.Text(request.Provider);
            // By index: a foreach over the interface would allocate an enumerator per request.
            for (var i = 0; i < splits.Count; i++)
            {
                var split = splits[i];
                writer.Text(split.SellerId.IsEmpty ? null : split.SellerId.Value);
                writer.Amount(split.Amount);
            }

            return Hash(writer.Written);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static Guid Capture(CapturePaymentRequest request)
    {
        Span<byte> buffer = stackalloc byte[StackLimit];
        var writer = new CanonicalWriter(buffer);
        writer.Text("capture");
        writer.Text(request.PaymentId.Value);
        writer.Amount(request.Amount);
        writer.Text(request.IsFinal ? "final" : "partial");
        return Hash(writer.Written);
    }

    public static Guid Void(VoidPaymentRequest request)
    {
        Span<byte> buffer = stackalloc byte[StackLimit];
        var writer = new CanonicalWriter(buffer);
        writer.Text("void");
        writer.Text(request.PaymentId.Value);
        return Hash(writer.Written);
    }

    public static Guid Refund(RefundPaymentRequest request)
    {
        Span<byte> buffer = stackalloc byte[StackLimit];
        var writer = new CanonicalWriter(buffer);
        writer.Text("refund");
        writer.Text(request.PaymentId.Value);
        writer.Amount(request.Amount);
        return Hash(writer.Written);
    }

    private static int Max(string? value) => value is null ? 0 : Encoding.UTF8.GetMaxByteCount(value.Length);

    private static int Max(int length) => Encoding.UTF8.GetMaxByteCount(length);

    private static Guid Hash(ReadOnlySpan<byte> canonical)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(canonical, hash);
        return new Guid(hash[..16]);
    }

    /// <summary>Fields separated by a newline; a missing field is written as a lone 0x00 so it differs from an empty one.</summary>
    private ref struct CanonicalWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _length;

        public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

        public void Text(string? value)
        {
            if (value is null)
            {
                _buffer[_length++] = 0;
            }
            else
            {
                _length += Encoding.UTF8.GetBytes(value, _buffer[_length..]);
            }

            _buffer[_length++] = (byte)'\n';
        }

        public void Amount(Money amount)
        {
            Utf8Formatter.TryFormat(amount.MinorUnits, _buffer[_length..], out var written);
            _length += written;
            _buffer[_length++] = (byte)' ';
            Text(amount.Currency == default ? null : amount.Currency.Code);
        }
    }
}
