using System.Security.Claims;
using System.Text.Encodings.Web;
using Commerce;
using Marketplace.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Marketplace.Identity;

/// <summary>
/// DEMO ONLY (see <see cref="DemoAuthentication"/>): signs the caller in as whoever the <c>X-Demo-User</c> header
/// names, with a <see cref="ClaimTypes.NameIdentifier"/> and a <see cref="ClaimTypes.Role"/> claim. Challenges and
/// refusals answer problem details with a stable code, like every other error of the API.
/// </summary>
public sealed class DemoAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string Usage = $"Send '{DemoAuthentication.HeaderName}: buyer:<name>' or '{DemoAuthentication.HeaderName}: seller:<name>'.";

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var values = Request.Headers[DemoAuthentication.HeaderName];
        if (values.Count == 0)
        {
            // No header: anonymous. Endpoints that need a user challenge, public ones (the catalog) just serve.
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (values.Count > 1 || !DemoAuthentication.TryParse(values[0], out var role, out var name))
        {
            return Task.FromResult(AuthenticateResult.Fail($"The {DemoAuthentication.HeaderName} header is malformed. {Usage}"));
        }

        Claim[] claims =
        [
            new(ClaimTypes.NameIdentifier, name),
            new(ClaimTypes.Name, name),
            new(ClaimTypes.Role, role),
        ];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = $"{Scheme.Name} header=\"{DemoAuthentication.HeaderName}\"";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, MarketplaceErrorCodes.Unauthenticated,
            result.Failure?.Message ?? $"This endpoint needs a signed-in user. {Usage}");
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, MarketplaceErrorCodes.Forbidden,
            "Your role may not use this endpoint: cart endpoints are for buyers, seller endpoints for sellers.");

    private async Task WriteProblemAsync(int status, string code, string detail)
    {
        Response.StatusCode = status;
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = CommerceProblems.Details(new CommerceError(code, detail), status),
        });
    }
}
