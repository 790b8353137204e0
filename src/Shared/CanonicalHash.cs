using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Hashing;

/// <summary>
/// Writes a request's canonical bytes into a buffer of the caller's (on the stack, growing into pooled arrays) and
/// hashes them with SHA-256 into a 128-bit fingerprint, the idempotency fingerprint every engine stores: no string or
/// builder per request. Text is written as UTF-8 and numbers in invariant decimal, so the bytes are those of the
/// equivalent string in UTF-8.
/// </summary>
/// <remarks>Shared source (src/Shared). Dispose it (or call <see cref="ToFingerprint"/>, which does) to return a rented buffer.</remarks>
internal ref struct CanonicalHash
{
    private Span<byte> _buffer;
    private byte[]? _rented;
    private int _length;

    public CanonicalHash(Span<byte> initial) => _buffer = initial;

    /// <summary>Appends text as UTF-8.</summary>
    public void Append(string text)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
        _length += Encoding.UTF8.GetBytes(text, _buffer[_length..]);
    }

    /// <summary>Appends one byte (a separator).</summary>
    public void Append(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    /// <summary>Appends a number in invariant decimal.</summary>
    public void Append(long value)
    {
        Ensure(20);
        Utf8Formatter.TryFormat(value, _buffer[_length..], out var written);
        _length += written;
    }

    /// <summary>The SHA-256 of the bytes written, its first 128 bits as a <see cref="Guid"/>; returns the rented buffer.</summary>
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
        if (_rented is { } rented)
        {
            _rented = null;
            _buffer = default;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length)
        {
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
        _buffer[.._length].CopyTo(grown);
        if (_rented is { } old)
        {
            ArrayPool<byte>.Shared.Return(old);
        }

        _rented = grown;
        _buffer = grown;
    }
}
