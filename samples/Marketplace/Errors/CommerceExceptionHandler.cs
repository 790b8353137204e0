using System.Text.Json;
using Commerce;
using Microsoft.AspNetCore.Diagnostics;

namespace Marketplace.Errors;

/// <summary>
/// Turns the exceptions that carry a meaning for the client into problem details: every
/// <see cref="CommerceException"/> (invalid input, unknown ids, reused keys, conflicts) and the framework's
/// <see cref="BadHttpRequestException"/> (unreadable JSON, a wrong type, an unknown field, a body over the limit, a
/// non-numeric query parameter). Anything else is left to the exception handler middleware, which answers a bare 500
/// problem without leaking the exception.
/// </summary>
public sealed partial class CommerceExceptionHandler(IProblemDetailsService problems, ILogger<CommerceExceptionHandler> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var problem = exception switch
        {
            CommerceException commerce => CommerceProblems.Details(commerce.Error, isValidation: commerce is CommerceValidationException),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge =>
                CommerceProblems.Details(new CommerceError(MarketplaceErrorCodes.BodyTooLarge, tooLarge.Message), tooLarge.StatusCode),
            BadHttpRequestException bad => CommerceProblems.Details(new CommerceError(MarketplaceErrorCodes.InvalidRequest, Describe(bad)), bad.StatusCode),
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        if (status >= StatusCodes.Status500InternalServerError)
        {
            LogUnexpected(exception);
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>
    /// The framework's message names the parameter ("Failed to read parameter ... as JSON"); the JSON reader's own
    /// message names the place (<c>Path: $.priceMinor</c>), which is what a client needs to fix the body.
    /// </summary>
    private static string Describe(BadHttpRequestException bad) =>
        bad.InnerException is JsonException json ? $"The body is not valid: {json.Message}" : bad.Message;

    [LoggerMessage(1, LogLevel.Error, "An unexpected Commerce error reached the API.")]
    private partial void LogUnexpected(Exception exception);
}
