using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Marketplace.Identity;

/// <summary>
/// The DEMO sign-in scheme: the caller says who they are in one header, <c>X-Demo-User: buyer:alice</c> or
/// <c>X-Demo-User: seller:acme</c>, and is believed. It exists so that the sample can show per-user authorization
/// (roles, policies, ownership checks) without an identity provider. It proves nothing about the caller: replace it
/// with real authentication (OpenID Connect, JWT bearer) before anything leaves a developer's machine. Only the
/// handler changes; the policies and the ownership checks keep working on the claims a real scheme issues.
/// </summary>
public static partial class DemoAuthentication
{
    /// <summary>The scheme name.</summary>
    public const string Scheme = "DemoUser";

    /// <summary>The header carrying <c>role:name</c>.</summary>
    public const string HeaderName = "X-Demo-User";

    /// <summary>Parses <c>buyer:name</c> or <c>seller:name</c>; a name is 1 to 64 lower-case letters, digits, '.', '_' or '-'.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out string? role, [NotNullWhen(true)] out string? name)
    {
        var match = value is null ? Match.Empty : UserPattern().Match(value);
        if (!match.Success)
        {
            role = name = null;
            return false;
        }

        role = match.Groups["role"].Value;
        name = match.Groups["name"].Value;
        return true;
    }

    // The name alphabet is deliberately narrower than BuyerId/SellerId allow: it keeps demo names readable in logs
    // and URLs. Ownership does not rely on it (see ScopedIds).
    [GeneratedRegex("^(?<role>buyer|seller):(?<name>[a-z0-9][a-z0-9._-]{0,63})$", RegexOptions.CultureInvariant)]
    private static partial Regex UserPattern();
}

/// <summary>The roles a marketplace user can have.</summary>
public static class MarketplaceRoles
{
    /// <summary>Browses, holds stock in a cart, buys.</summary>
    public const string Buyer = "buyer";

    /// <summary>Lists products and receives stock for them.</summary>
    public const string Seller = "seller";
}

/// <summary>The authorization policies the endpoints require.</summary>
public static class MarketplacePolicies
{
    /// <summary>Signed in as a buyer.</summary>
    public const string Buyer = "Buyer";

    /// <summary>Signed in as a seller.</summary>
    public const string Seller = "Seller";
}
