using System.Diagnostics.CodeAnalysis;

namespace Commerce;

/// <summary>
/// The rules every identifier shares: 1 to <c>maxLength</c> characters of printable ASCII (no spaces, no control
/// characters), compared ordinally. Keeping ids to this alphabet makes them safe in URLs, logs, SQL keys and Redis
/// hash tags alike.
/// </summary>
internal static class IdentifierRules
{
    public static string Validate(string? value, string kind, int maxLength)
    {
        if (TryValidate(value, maxLength, out var reason))
        {
            return value;
        }

        throw new CommerceValidationException(CoreErrorCodes.InvalidIdentifier, $"Invalid {kind}: {reason}", kind);
    }

    public static bool IsValid([NotNullWhen(true)] string? value, int maxLength) => TryValidate(value, maxLength, out _);

    private static bool TryValidate([NotNullWhen(true)] string? value, int maxLength, out string reason)
    {
        if (string.IsNullOrEmpty(value))
        {
            reason = "it is empty.";
            return false;
        }

        if (value.Length > maxLength)
        {
            reason = $"it is {value.Length} characters long; the limit is {maxLength}.";
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                reason = "it may hold only printable ASCII characters without spaces.";
                return false;
            }
        }

        reason = string.Empty;
        return true;
    }
}
