using Commerce;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Errors;

/// <summary>
/// Builds RFC 7807 problem details from Commerce errors, one shape for every failure: the status, the message as
/// <c>detail</c>, and the stable <c>code</c> (plus <c>target</c>, the field at fault, when known) as extensions.
/// </summary>
public static class CommerceProblems
{
    /// <summary>The extension that carries the stable error code.</summary>
    public const string CodeExtension = "code";

    /// <summary>The extension that names the field at fault.</summary>
    public const string TargetExtension = "target";

    /// <summary>Problem details for an error, with its mapped status unless one is given.</summary>
    public static ProblemDetails Details(CommerceError error, int? status = null, bool isValidation = false)
    {
        ArgumentNullException.ThrowIfNull(error);
        var problem = new ProblemDetails
        {
            Status = status ?? ErrorStatus.For(error.Code, isValidation),
            Detail = error.Message,
        };
        problem.Extensions[CodeExtension] = error.Code;
        if (error.Target is not null)
        {
            problem.Extensions[TargetExtension] = error.Target;
        }

        return problem;
    }

    /// <summary>A problem result for an expected failure the engine returned rather than threw.</summary>
    public static ProblemHttpResult Result(CommerceError error, IEnumerable<KeyValuePair<string, object?>>? extensions = null, int? status = null)
    {
        var problem = Details(error, status);
        foreach (var (key, value) in extensions ?? [])
        {
            problem.Extensions[key] = value;
        }

        return TypedResults.Problem(problem);
    }

    /// <summary>
    /// Fills in the code and a clear detail on problems the framework writes for a bare status (no token, an unknown
    /// route, a wrong method), so that every error a client sees has a <c>code</c>.
    /// </summary>
    public static void AddMissingCode(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (!problem.Extensions.ContainsKey(CodeExtension))
        {
            problem.Extensions[CodeExtension] = ErrorStatus.CodeForStatus(status);
        }

        problem.Detail ??= ErrorStatus.DetailForStatus(status);

        // The trace id lets a user quote a failing request; the framework adds it too, keep one name.
        problem.Extensions.Remove("exception");
    }
}
