using System.Text.Json;
using Marketplace.Errors;
using Marketplace.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Marketplace.Hosting
{
    /// <summary>
    /// Refuses a body over <see cref="MarketplaceOptions.MaxRequestBodyBytes"/> with 413 <c>marketplace.body_too_large</c>
    /// before any endpoint reads it: at once when Content-Length says so, and through the server's limit for chunked
    /// bodies (Kestrel enforces it while the body is read; the exception handler answers the same problem).
    /// </summary>
    public sealed class BodySizeLimit(RequestDelegate next, IOptions<MarketplaceOptions> options)
    {
        private readonly long _limit = options.Value.MaxRequestBodyBytes;

        /// <summary>Checks the request.</summary>
        public Task InvokeAsync(HttpContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.Request.ContentLength > _limit)
            {
                throw new BadHttpRequestException($"The request body is {context.Request.ContentLength} bytes; the limit is {_limit}.", StatusCodes.Status413PayloadTooLarge);
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = _limit;
            }

            return next(context);
        }
    }

    /// <summary>Writes a health report as JSON: the overall status and each check's.</summary>
    public static class HealthResponse
    {
        /// <summary>Writes the report.</summary>
        public static Task WriteAsync(HttpContext context, HealthReport report)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(report);
            context.Response.ContentType = "application/json";
            var body = new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(
                    static e => e.Key,
                    static e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
            };
            return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
        }
    }
}

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Small registration helpers of the host.</summary>
    public static class MarketplaceServiceCollectionExtensions
    {
        /// <summary>Registers <see cref="TimeProvider.System"/> unless a test replaced it.</summary>
        public static IServiceCollection TryAddSingletonTimeProvider(this IServiceCollection services)
        {
            services.TryAddSingleton(TimeProvider.System);
            return services;
        }
    }
}
