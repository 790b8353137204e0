using System.Security.Claims;
using Marketplace.Errors;
using Marketplace.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Marketplace.Identity;

/// <summary>Asks for a token.</summary>
/// <param name="UserId">1 to 64 lower-case letters, digits, '.', '_' or '-'.</param>
/// <param name="Role"><c>buyer</c>, <c>seller</c> or <c>admin</c>.</param>
public sealed record DevTokenRequest(string? UserId, string? Role);

/// <summary>A bearer token: send it as <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
public sealed record DevTokenResponse(string Token);

/// <summary>
/// <c>POST /api/dev/tokens</c>: a token for any user id and role, no password. It exists so that the sample can be
/// driven with curl; it is on by default and off with <c>--dev-tokens false</c> (the route then does not exist).
/// A real deployment turns it off and signs users in through its identity provider; the rest of the host only reads
/// the NameIdentifier and Role claims, which any scheme issues.
/// </summary>
public static class DevTokenEndpoints
{
    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapDevTokenEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/dev/tokens", Issue).WithTags("Identity").AllowAnonymous()
            .WithSummary("Issues a bearer token for any user id and role (development only; off with --dev-tokens false).");
        return app;
    }

    private static Ok<DevTokenResponse> Issue(
        DevTokenRequest request, IOptionsMonitor<BearerTokenOptions> bearer, IOptions<MarketplaceOptions> options, TimeProvider time)
    {
        if (!MarketplaceUser.IsValidId(request.UserId))
        {
            throw new Commerce.CommerceValidationException(MarketplaceErrorCodes.InvalidRequest,
                $"userId must be 1 to {MarketplaceUser.MaxIdLength} lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.", "userId");
        }

        if (!MarketplaceRoles.IsKnown(request.Role))
        {
            throw new Commerce.CommerceValidationException(MarketplaceErrorCodes.InvalidRequest, "role must be 'buyer', 'seller' or 'admin'.", "role");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, request.UserId), new Claim(ClaimTypes.Name, request.UserId), new Claim(ClaimTypes.Role, request.Role!)],
            BearerTokenDefaults.AuthenticationScheme);
        var now = time.GetUtcNow();
        var properties = new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now + options.Value.TokenLifetime };
        var ticket = new AuthenticationTicket(new ClaimsPrincipal(identity), properties, BearerTokenDefaults.AuthenticationScheme);
        var token = bearer.Get(BearerTokenDefaults.AuthenticationScheme).BearerTokenProtector.Protect(ticket);
        return TypedResults.Ok(new DevTokenResponse(token));
    }
}
