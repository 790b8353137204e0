using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Hashing;

/// <summary>
/// A request's canonical form as UTF-8, hashed to the 128-bit fingerprint every engine stores with its idempotency id
/// (the first half of its SHA-256): no string or builder per request. Text is written as UTF-8 (null or empty text
/// writes nothing, as a string builder appends it), numbers in invariant digits, so the bytes equal those of the
/// equivalent canonical string. Starts on the caller's stack buffer and moves to a pooled one when a large request
/// outgrows it; <see cref="Dispose"/> (or <see cref="ToFingerprint"/>) returns that one.
/// </summary>
/// <remarks>Shared source (src/Shared), compiled into each engine.</remarks>
internal ref struct CanonicalHash
{
    /// <summary>The ASCII record separator, between the parts of a canonical form.</summary>
    public const byte RecordSeparator = 0x1e;

    /// <summary>The ASCII unit separator, between the fields of a part.</summary>
    public const byte UnitSeparator = 0x1f;

    private Span<byte> _buffer;
    private byte[]? _rented;
    private int _length;

    public CanonicalHash(Span<byte> buffer)
    {
        _buffer = buffer;
        _rented = null;
        _length = 0;
    }

    /// <summary>Appends text as UTF-8; nothing for null or empty text.</summary>
    [UnscopedRef]
    public ref CanonicalHash Text(string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            if (!Encoding.UTF8.TryGetBytes(value, _buffer[_length..], out var written))
            {
                Reserve(Encoding.UTF8.GetMaxByteCount(value.Length));
                written = Encoding.UTF8.GetBytes(value, _buffer[_length..]);
            }

            _length += written;
        }

        return ref this;
    }

    /// <summary>Appends a number in invariant digits.</summary>
    [UnscopedRef]
    public ref CanonicalHash Number(long value)
    {
        Reserve(20);
        value.TryFormat(_buffer[_length..], out var written, provider: CultureInfo.InvariantCulture);
        _length += written;
        return ref this;
    }

    /// <summary>Appends one separator byte.</summary>
    [UnscopedRef]
    public ref CanonicalHash Separator(byte separator)
    {
        Reserve(1);
        _buffer[_length++] = separator;
        return ref this;
    }

    /// <summary>The first 128 bits of the SHA-256 of what was written, as a <see cref="Guid"/>; returns a rented buffer.</summary>
    public Guid ToFingerprint()
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(_buffer[.._length], hash);
        Dispose();
        return new Guid(hash[..16]);
    }

    /// <summary>Returns the rented buffer, if any.</summary>
    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }

    private void Reserve(int bytes)
    {
        if (_buffer.Length - _length >= bytes)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
        _buffer[.._length].CopyTo(larger);
        Dispose();
        _rented = larger;
        _buffer = larger;
    }
}
