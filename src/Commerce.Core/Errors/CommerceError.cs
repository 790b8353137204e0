namespace Commerce;

/// <summary>
/// A machine-readable error: a stable <see cref="Code"/> (for example <c>inventory.insufficient_stock</c>)
/// that callers can switch on, and a human-readable <see cref="Message"/> that may change between versions.
/// </summary>
public sealed class CommerceError : IEquatable<CommerceError>
{
    /// <summary>Creates an error.</summary>
    /// <param name="code">The stable code, lower-case, dot-separated: <c>area.reason</c>.</param>
    /// <param name="message">A human-readable explanation.</param>
    /// <param name="target">The name of the argument or field at fault, if any.</param>
    public CommerceError(string code, string message, string? target = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentNullException.ThrowIfNull(message);
        Code = code;
        Message = message;
        Target = target;
    }

    /// <summary>The stable, machine-readable code.</summary>
    public string Code { get; }

    /// <summary>A human-readable explanation; not stable, do not parse.</summary>
    public string Message { get; }

    /// <summary>The name of the argument or field at fault, if any.</summary>
    public string? Target { get; }

    /// <inheritdoc />
    public bool Equals(CommerceError? other) =>
        other is not null && Code == other.Code && Message == other.Message && Target == other.Target;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as CommerceError);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Code, Message, Target);

    /// <inheritdoc />
    public override string ToString() => Target is null ? $"{Code}: {Message}" : $"{Code} ({Target}): {Message}";
}
