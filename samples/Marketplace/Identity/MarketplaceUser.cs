using System.Security.Claims;
using Commerce;

namespace Marketplace.Identity;

/// <summary>Reads the signed-in user's typed id from the claims any authentication scheme issues.</summary>
public static class MarketplaceUser
{
    /// <summary>The buyer's id; the endpoint must require <see cref="MarketplacePolicies.Buyer"/>.</summary>
    public static BuyerId GetBuyerId(this ClaimsPrincipal user) => new(NameOf(user, MarketplaceRoles.Buyer));

    /// <summary>The seller's id; the endpoint must require <see cref="MarketplacePolicies.Seller"/>.</summary>
    public static SellerId GetSellerId(this ClaimsPrincipal user) => new(NameOf(user, MarketplaceRoles.Seller));

    private static string NameOf(ClaimsPrincipal user, string role)
    {
        ArgumentNullException.ThrowIfNull(user);

        // The policy has already checked this; failing loudly here catches an endpoint mapped without its policy.
        if (!user.IsInRole(role) || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { Length: > 0 } name)
        {
            throw new InvalidOperationException($"The endpoint needs a {role}; map it with the {role} policy.");
        }

        return name;
    }
}
