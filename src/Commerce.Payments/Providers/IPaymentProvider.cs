namespace Commerce.Payments.Providers;

/// <summary>
/// The contract of a payment service provider (PSP) adapter. Every call carries an idempotency key that the adapter
/// passes on to the PSP unchanged: the orchestrator reuses one key for every retry and resume of one attempt, so a
/// repeated call can never charge twice.
/// </summary>
/// <remarks>
/// Adapters report expected outcomes as a <see cref="ProviderResult"/> and classify failures carefully: only a failure
/// the PSP surely did not process (connection refused, an error the PSP documents as not processed) may be
/// <see cref="ProviderOutcome.NotProcessed"/>, since that lets the orchestrator fail over to another provider. When in
/// doubt (a timeout after the request was sent, an ambiguous server error) the outcome is
/// <see cref="ProviderOutcome.Unknown"/>. An exception escaping an adapter is treated as unknown.
/// </remarks>
public interface IPaymentProvider
{
    /// <summary>Authorizes (holds) an amount on the buyer's payment method, without capturing it.</summary>
    ValueTask<ProviderResult> AuthorizeAsync(ProviderAuthorizeRequest request, CancellationToken cancellationToken);

    /// <summary>Captures part or all of an authorization; several captures may follow one authorization.</summary>
    ValueTask<ProviderResult> CaptureAsync(ProviderCaptureRequest request, CancellationToken cancellationToken);

    /// <summary>Cancels an authorization that has not been captured.</summary>
    ValueTask<ProviderResult> VoidAsync(ProviderVoidRequest request, CancellationToken cancellationToken);

    /// <summary>Refunds part or all of the captured amount; several refunds may follow.</summary>
    ValueTask<ProviderResult> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the PSP what it knows of the payment behind <see cref="ProviderStatusRequest.Reference"/>: used to settle an
    /// operation whose outcome is unknown. Returns <see cref="ProviderPaymentState.NotFound"/> only when the PSP
    /// confirms it has no record; anything doubtful is <see cref="ProviderPaymentState.Unavailable"/>.
    /// </summary>
    ValueTask<ProviderStatus> GetStatusAsync(ProviderStatusRequest request, CancellationToken cancellationToken);
}
