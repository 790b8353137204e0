using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Commerce;

namespace Marketplace.Identity;

/// <summary>The roles a marketplace user can have.</summary>
public static class MarketplaceRoles
{
    /// <summary>Searches, fills a cart, checks out, follows their own orders.</summary>
    public const string Buyer = "buyer";

    /// <summary>Lists products, sets their stock, fulfils the orders that include them.</summary>
    public const string Seller = "seller";

    /// <summary>Operates the marketplace: reads any order, cancels, refunds.</summary>
    public const string Admin = "admin";

    /// <summary>Whether <paramref name="role"/> is one of the three.</summary>
    public static bool IsKnown(string? role) => role is Buyer or Seller or Admin;
}

/// <summary>The authorization policies the endpoints require.</summary>
public static class MarketplacePolicies
{
    /// <summary>Signed in as a buyer.</summary>
    public const string Buyer = "Buyer";

    /// <summary>Signed in as a seller.</summary>
    public const string Seller = "Seller";

    /// <summary>Signed in as an admin.</summary>
    public const string Admin = "Admin";

    /// <summary>Signed in, whatever the role (ownership is checked by the endpoint).</summary>
    public const string AnyUser = "AnyUser";
}

/// <summary>Reads the signed-in user's id and role from the claims the bearer token carries.</summary>
public static partial class MarketplaceUser
{
    /// <summary>The longest user id.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Whether <paramref name="userId"/> is a valid user id: 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static bool IsValidId([NotNullWhen(true)] string? userId) => userId is not null && IdPattern().IsMatch(userId);

    /// <summary>The signed-in user's id.</summary>
    public static string GetUserId(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.FindFirstValue(ClaimTypes.NameIdentifier) is { Length: > 0 } id
            ? id
            : throw new InvalidOperationException("The endpoint needs a signed-in user; map it with a policy.");
    }

    /// <summary>The buyer's id; the endpoint must require <see cref="MarketplacePolicies.Buyer"/>.</summary>
    public static BuyerId GetBuyerId(this ClaimsPrincipal user) => new(IdIn(user, MarketplaceRoles.Buyer));

    /// <summary>The seller's id; the endpoint must require <see cref="MarketplacePolicies.Seller"/>.</summary>
    public static SellerId GetSellerId(this ClaimsPrincipal user) => new(IdIn(user, MarketplaceRoles.Seller));

    /// <summary>Whether the user is an admin.</summary>
    public static bool IsAdmin(this ClaimsPrincipal user) => user?.IsInRole(MarketplaceRoles.Admin) == true;

    /// <summary>The seller's id when the user is a seller, else null.</summary>
    public static SellerId? AsSeller(this ClaimsPrincipal user) =>
        user?.IsInRole(MarketplaceRoles.Seller) == true ? new SellerId(user.GetUserId()) : null;

    /// <summary>The buyer's id when the user is a buyer, else null.</summary>
    public static BuyerId? AsBuyer(this ClaimsPrincipal user) =>
        user?.IsInRole(MarketplaceRoles.Buyer) == true ? new BuyerId(user.GetUserId()) : null;

    private static string IdIn(ClaimsPrincipal user, string role)
    {
        ArgumentNullException.ThrowIfNull(user);

        // The policy has already checked this; failing loudly here catches an endpoint mapped without its policy.
        return user.IsInRole(role)
            ? user.GetUserId()
            : throw new InvalidOperationException($"The endpoint needs a {role}; map it with the {role} policy.");
    }

    // Narrower than BuyerId/SellerId allow: it keeps user ids readable in logs and URLs and free of separators.
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
