namespace Commerce.Payments.Providers;

/// <summary>How a PSP call ended, as far as the adapter can tell.</summary>
public enum ProviderOutcome
{
    /// <summary>The PSP processed the operation.</summary>
    Succeeded,

    /// <summary>The PSP processed the request and refused it (a declined card, an invalid request): final, no failover.</summary>
    Declined,

    /// <summary>The PSP surely did not process the request (connection refused, a documented not-processed error): safe to retry or fail over.</summary>
    NotProcessed,

    /// <summary>The request may have been processed (a timeout after sending, an ambiguous error): resolve, never fail over.</summary>
    Unknown,
}

/// <summary>The outcome of one PSP call.</summary>
/// <param name="Outcome">How the call ended.</param>
/// <param name="PspReference">The PSP's identifier of the payment, when known.</param>
/// <param name="FailureCode">The PSP's decline or error code, when the call did not succeed.</param>
/// <param name="FailureMessage">A human-readable reason, when the call did not succeed; never contains secrets.</param>
public readonly record struct ProviderResult(ProviderOutcome Outcome, string? PspReference = null, string? FailureCode = null, string? FailureMessage = null)
{
    /// <summary>A success carrying the PSP's reference.</summary>
    public static ProviderResult Success(string? pspReference) => new(ProviderOutcome.Succeeded, pspReference);

    /// <summary>A refusal by the PSP.</summary>
    public static ProviderResult Decline(string code, string? message = null, string? pspReference = null) => new(ProviderOutcome.Declined, pspReference, code, message);

    /// <summary>A failure the PSP surely did not process.</summary>
    public static ProviderResult NotSent(string code, string? message = null) => new(ProviderOutcome.NotProcessed, null, code, message);

    /// <summary>A call whose outcome is unknown.</summary>
    public static ProviderResult Unknown(string code, string? message = null, string? pspReference = null) => new(ProviderOutcome.Unknown, pspReference, code, message);
}

/// <summary>What a PSP says of a payment.</summary>
public enum ProviderPaymentState
{
    /// <summary>The PSP could not answer (unreachable, an error): nothing can be concluded.</summary>
    Unavailable,

    /// <summary>The PSP confirms it has no record of the reference.</summary>
    NotFound,

    /// <summary>The PSP is still processing.</summary>
    Pending,

    /// <summary>The PSP refused the authorization.</summary>
    Declined,

    /// <summary>The authorization stands (amounts say how much was captured and refunded).</summary>
    Authorized,

    /// <summary>The authorization was cancelled.</summary>
    Voided,
}

/// <summary>A PSP's view of one payment, used to settle unknown outcomes.</summary>
/// <param name="State">The payment's state at the PSP.</param>
/// <param name="PspReference">The PSP's identifier of the payment, when found.</param>
/// <param name="AuthorizedMinor">The authorized amount in minor units.</param>
/// <param name="CapturedMinor">The total captured so far, in minor units.</param>
/// <param name="RefundedMinor">The total refunded so far, in minor units.</param>
public readonly record struct ProviderStatus(ProviderPaymentState State, string? PspReference = null, long AuthorizedMinor = 0, long CapturedMinor = 0, long RefundedMinor = 0)
{
    /// <summary>The PSP could not be asked.</summary>
    public static ProviderStatus Unavailable { get; } = new(ProviderPaymentState.Unavailable);

    /// <summary>The PSP confirms it has no record.</summary>
    public static ProviderStatus NotFound { get; } = new(ProviderPaymentState.NotFound);
}
