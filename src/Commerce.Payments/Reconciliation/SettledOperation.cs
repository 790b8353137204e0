namespace Commerce.Payments.Reconciliation;

/// <summary>The kind of money movement a settlement line or one of our operations records.</summary>
public enum SettlementKind
{
    /// <summary>Money taken from the buyer (a capture, or a sale captured at once).</summary>
    Capture,

    /// <summary>Money given back to the buyer.</summary>
    Refund,
}

/// <summary>
/// One of our captures or refunds that the PSP should settle: what reconciliation compares each report line with.
/// </summary>
/// <param name="PspReference">The PSP's identifier of the payment the operation belongs to.</param>
/// <param name="Kind">Capture or refund.</param>
/// <param name="Amount">The amount we recorded, positive for captures and refunds alike.</param>
/// <param name="OperationReference">
/// The PSP's identifier of this capture or refund (an Adyen modification reference, a Stripe charge or refund id), when
/// we have it. Operations carrying one are matched to the report line with the same reference; the others are matched by
/// payment, kind and amount.
/// </param>
public sealed record SettledOperation(string PspReference, SettlementKind Kind, Money Amount, string? OperationReference = null);
