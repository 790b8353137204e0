using Commerce;
using Marketplace.Errors;

namespace Marketplace.Idempotency;

/// <summary>The <c>Idempotency-Key</c> request header and the <c>Idempotent-Replayed</c> response header.</summary>
public static class IdempotencyHeader
{
    /// <summary>The request header: a client-chosen key (a UUID is ideal) that makes a POST safe to retry.</summary>
    public const string Name = "Idempotency-Key";

    /// <summary>The response header set to <c>true</c> when the answer is the stored outcome of an earlier request.</summary>
    public const string ReplayedName = "Idempotent-Replayed";

    /// <summary>Parses the header value; it is required.</summary>
    /// <exception cref="CommerceValidationException">Missing (<c>marketplace.idempotency_key_required</c>) or malformed (<c>core.invalid_identifier</c>).</exception>
    public static IdempotencyKey Parse(string? value) =>
        string.IsNullOrEmpty(value)
            ? throw new CommerceValidationException(MarketplaceErrorCodes.IdempotencyKeyRequired,
                $"This request changes state: send an {Name} header (a UUID is ideal) so that it is safe to retry.", Name)
            : new IdempotencyKey(value);

    /// <summary>Marks the response as a replay.</summary>
    public static void MarkReplayed(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers[ReplayedName] = "true";
    }
}
