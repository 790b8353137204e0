namespace Commerce.Checkout;

/// <summary>When the authorized amount is captured.</summary>
public enum CaptureMode
{
    /// <summary>Right after the order is marked paid, in full.</summary>
    Immediate = 0,

    /// <summary>Each seller's share when that seller ships its fulfilment (driven by ordering's <c>ordering.fulfilment.shipped</c> events).</summary>
    OnShipment = 1,
}

/// <summary>
/// How far a checkout saga got. The saga moves forward through <see cref="Started"/> (only in stores whose first local
/// steps are not atomic), <see cref="OrderPlaced"/>, <see cref="Paid"/> and then <see cref="Completed"/> (capture
/// immediate) or <see cref="AwaitingShipment"/> (capture on shipment, then <see cref="Completed"/>); or, on failure,
/// through <see cref="Compensating"/> to <see cref="Compensated"/>.
/// </summary>
public enum CheckoutStep
{
    /// <summary>The key is claimed; the reservation and the order may or may not exist yet. Only non-atomic stores record it.</summary>
    Started = 0,

    /// <summary>The stock is reserved and the order awaits payment; next: authorize.</summary>
    OrderPlaced = 1,

    /// <summary>Authorized, the reservation committed and the order marked paid; next: capture (immediate mode).</summary>
    Paid = 2,

    /// <summary>Paid; each seller's share is captured when the seller ships (on-shipment mode). The buyer's checkout is complete.</summary>
    AwaitingShipment = 3,

    /// <summary>Paid and captured in full. Terminal.</summary>
    Completed = 4,

    /// <summary>Failed (<see cref="CheckoutSaga.FailureCode"/>); voiding the authorization, releasing the stock and cancelling the order.</summary>
    Compensating = 5,

    /// <summary>Failed and compensated: nothing held, the order cancelled, no open authorization. Terminal.</summary>
    Compensated = 6,
}

/// <summary>A line of a checkout as the saga stores it: the catalog's seller and price resolved.</summary>
/// <param name="Sku">The SKU.</param>
/// <param name="Seller">The seller.</param>
/// <param name="Quantity">Units.</param>
/// <param name="UnitPriceMinor">The unit price in minor units of <see cref="CheckoutSaga.Currency"/>.</param>
public readonly record struct CheckoutSagaLine(Sku Sku, SellerId Seller, long Quantity, long UnitPriceMinor);

/// <summary>
/// The persisted progress of one checkout: what was asked for, the ids of everything it creates, and how far it got.
/// Stores write it conditionally on <see cref="Version"/> (each write carries the next version), so the live request,
/// a retry with the same key and the recovery worker never overwrite each other's progress.
/// </summary>
/// <remarks>
/// The ids it creates are fixed when the saga is created: the reservation id, the
/// order id and the payment id equal the checkout id, and the payment idempotency keys derive from it
/// (<see cref="CheckoutSagas.AuthorizeKey"/>, ...). Every step is idempotent by those ids, so re-running any step
/// after a crash repeats nothing.
/// </remarks>
public sealed record CheckoutSaga
{
    /// <summary>The checkout's id.</summary>
    public required CheckoutId Id { get; init; }

    /// <summary>The caller's idempotency key; unique across sagas.</summary>
    public required IdempotencyKey IdempotencyKey { get; init; }

    /// <summary>A hash of the canonical request (buyer, currency, lines, payment method); the key with another fingerprint is a reused key.</summary>
    public required Guid Fingerprint { get; init; }

    /// <summary>The buyer.</summary>
    public required BuyerId Buyer { get; init; }

    /// <summary>The currency.</summary>
    public required Currency Currency { get; init; }

    /// <summary>The lines, in the request's order.</summary>
    public required IReadOnlyList<CheckoutSagaLine> Lines { get; init; }

    /// <summary>The total in minor units (sum of quantity times unit price).</summary>
    public required long TotalMinor { get; init; }

    /// <summary>The PSP token of the payment method.</summary>
    public required string PaymentMethod { get; init; }

    /// <summary>When the authorization is captured.</summary>
    public required CaptureMode CaptureMode { get; init; }

    /// <summary>The reservation holding the stock.</summary>
    public required ReservationId ReservationId { get; init; }

    /// <summary>The order.</summary>
    public required OrderId OrderId { get; init; }

    /// <summary>The payment.</summary>
    public required PaymentId PaymentId { get; init; }

    /// <summary>The deadline of the stock hold (the reservation's TTL from <see cref="CreatedAt"/>).</summary>
    public required DateTimeOffset ReservationExpiresAt { get; init; }

    /// <summary>How far the saga got.</summary>
    public CheckoutStep Step { get; init; }

    /// <summary>On failure: the stable code (<c>checkout.declined</c>, <c>checkout.sold_out</c>, ...).</summary>
    public string? FailureCode { get; init; }

    /// <summary>On failure: why, for people.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>In on-shipment mode: the sellers whose share was captured.</summary>
    public IReadOnlyList<SellerId> CapturedSellers { get; init; } = [];

    /// <summary>The version of this state: 1 when created, one more with every write.</summary>
    public long Version { get; init; }

    /// <summary>When the checkout started.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the saga was last written.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>
    /// Until when the request (or worker) that last wrote the saga owns it. The recovery worker takes only unfinished
    /// sagas whose lease has passed; a waiting saga (payment pending) sets it to when it is worth looking again.
    /// </summary>
    public DateTimeOffset LeaseExpiresAt { get; init; }

    /// <summary>How many times the recovery worker has taken this saga over.</summary>
    public int RecoveryAttempts { get; init; }

    /// <summary>The total as money.</summary>
    public Money Total => new(TotalMinor, Currency);

    /// <summary>Whether the saga reached a terminal step (<see cref="CheckoutStep.Completed"/> or <see cref="CheckoutStep.Compensated"/>).</summary>
    public bool IsFinished => Step is CheckoutStep.Completed or CheckoutStep.Compensated;

    /// <summary>
    /// Whether the recovery worker has anything to do with it: not finished and not simply waiting for shipments
    /// (<see cref="CheckoutStep.AwaitingShipment"/> is driven by ordering events).
    /// </summary>
    public bool NeedsDriving => !IsFinished && Step != CheckoutStep.AwaitingShipment;

    /// <summary>Two sagas are equal when every field and every line (in order) are equal.</summary>
    public bool Equals(CheckoutSaga? other) =>
        other is not null
        && Id == other.Id && IdempotencyKey == other.IdempotencyKey && Fingerprint == other.Fingerprint && Buyer == other.Buyer
        && Currency == other.Currency && TotalMinor == other.TotalMinor && PaymentMethod == other.PaymentMethod
        && CaptureMode == other.CaptureMode && ReservationId == other.ReservationId && OrderId == other.OrderId
        && PaymentId == other.PaymentId && ReservationExpiresAt == other.ReservationExpiresAt && Step == other.Step
        && FailureCode == other.FailureCode && FailureMessage == other.FailureMessage && Version == other.Version
        && CreatedAt == other.CreatedAt && UpdatedAt == other.UpdatedAt && LeaseExpiresAt == other.LeaseExpiresAt
        && RecoveryAttempts == other.RecoveryAttempts
        && Lines.SequenceEqual(other.Lines) && CapturedSellers.SequenceEqual(other.CapturedSellers);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Id, Version, Step);
}
