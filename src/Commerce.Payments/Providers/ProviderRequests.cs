namespace Commerce.Payments.Providers;

/// <summary>An authorization sent to a PSP.</summary>
/// <param name="Reference">Our reference for the attempt; adapters send it as the PSP's merchant reference or metadata so the payment can be looked up by it.</param>
/// <param name="Amount">The amount to hold.</param>
/// <param name="PaymentMethod">The PSP's token for the buyer's payment method.</param>
/// <param name="IdempotencyKey">The PSP idempotency key of this attempt and operation.</param>
public readonly record struct ProviderAuthorizeRequest(string Reference, Money Amount, string PaymentMethod, string IdempotencyKey);

/// <summary>A capture of part or all of an authorization.</summary>
/// <param name="Reference">Our reference for the attempt that authorized the payment.</param>
/// <param name="PspReference">The PSP's identifier of the authorization.</param>
/// <param name="Amount">The amount to capture now.</param>
/// <param name="IsFinal">Whether this is the last capture; the PSP may release the uncaptured rest.</param>
/// <param name="IdempotencyKey">The PSP idempotency key of this operation.</param>
public readonly record struct ProviderCaptureRequest(string Reference, string PspReference, Money Amount, bool IsFinal, string IdempotencyKey);

/// <summary>A cancellation of an uncaptured authorization.</summary>
/// <param name="Reference">Our reference for the attempt that authorized the payment.</param>
/// <param name="PspReference">The PSP's identifier of the authorization.</param>
/// <param name="IdempotencyKey">The PSP idempotency key of this operation.</param>
public readonly record struct ProviderVoidRequest(string Reference, string PspReference, string IdempotencyKey);

/// <summary>A refund of part or all of the captured amount.</summary>
/// <param name="Reference">Our reference for the attempt that authorized the payment.</param>
/// <param name="PspReference">The PSP's identifier of the payment.</param>
/// <param name="Amount">The amount to refund.</param>
/// <param name="IdempotencyKey">The PSP idempotency key of this operation.</param>
public readonly record struct ProviderRefundRequest(string Reference, string PspReference, Money Amount, string IdempotencyKey);

/// <summary>A status query, sent to settle an operation whose outcome is unknown.</summary>
/// <param name="Reference">Our reference for the attempt.</param>
/// <param name="PspReference">The PSP's identifier, when an earlier response carried it.</param>
/// <param name="Currency">The payment's currency.</param>
public readonly record struct ProviderStatusRequest(string Reference, string? PspReference, Currency Currency);
