namespace Commerce;

/// <summary>
/// The root of every exception Commerce Engine throws on purpose: invalid input, misuse (an unknown id, an
/// idempotency key reused with a different request) and invariant breaches. Expected business outcomes such as
/// insufficient stock are returned as results instead.
/// </summary>
public class CommerceException : Exception
{
    /// <summary>Creates the exception from an error.</summary>
    public CommerceException(CommerceError error)
        : base(error?.Message)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>Creates the exception from an error and the exception that caused it.</summary>
    public CommerceException(CommerceError error, Exception? innerException)
        : base(error?.Message, innerException)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>The error, with its stable code.</summary>
    public CommerceError Error { get; }

    /// <summary>The stable error code, for example <c>inventory.unknown_sku</c>.</summary>
    public string Code => Error.Code;
}

/// <summary>Thrown when an argument is malformed or out of range. Nothing was written.</summary>
public sealed class CommerceValidationException : CommerceException
{
    /// <summary>Creates the exception.</summary>
    public CommerceValidationException(string code, string message, string? target = null)
        : base(new CommerceError(code, message, target))
    {
    }
}
