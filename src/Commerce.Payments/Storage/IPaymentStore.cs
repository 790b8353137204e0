using Commerce.Events;
using Commerce.Payments.Events;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Ledger;

namespace Commerce.Payments.Storage;

/// <summary>
/// Stores payments, their attempts, the ledger, webhook receipts and the outbox: the source of truth. Every write of a
/// payment is conditional on its version and atomic with the journal entries, events and webhook receipt that go with
/// it (and the caller key's record, for a store that also implements <see cref="IIdempotencyKeyStore"/>); stores also
/// enforce captured ≤ authorized and refunded ≤ captured themselves.
/// </summary>
public interface IPaymentStore
{
    /// <summary>Reads a payment, with its attempts.</summary>
    ValueTask<Payment?> GetAsync(PaymentId paymentId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a payment change atomically: the payment (created when <see cref="PaymentWrite.ExpectedVersion"/> is 0,
    /// else only if its stored version still equals it), its journal entries, outbox events, key update and webhook receipt.
    /// </summary>
    ValueTask<PaymentWriteStatus> WriteAsync(PaymentWrite write, CancellationToken cancellationToken);

    /// <summary>Records a webhook event that changes no payment; false when (provider, event id) was recorded before.</summary>
    ValueTask<bool> RecordWebhookAsync(WebhookReceipt receipt, CancellationToken cancellationToken);

    /// <summary>Whether a webhook event was recorded before.</summary>
    ValueTask<bool> IsWebhookRecordedAsync(string provider, string eventId, CancellationToken cancellationToken);

    /// <summary>Finds the payment a PSP reference belongs to (the provider's id of the authorization).</summary>
    ValueTask<PaymentId?> FindByPspReferenceAsync(string provider, string pspReference, CancellationToken cancellationToken);

    /// <summary>Lists payments with an attempt pending or unknown that last changed before <paramref name="changedBefore"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<Payment>> FindUnsettledAsync(DateTimeOffset changedBefore, int maxCount, CancellationToken cancellationToken);

    /// <summary>Streams the payments that last changed in [<paramref name="changedFrom"/>, <paramref name="changedTo"/>), oldest change first.</summary>
    IAsyncEnumerable<Payment> StreamChangedAsync(DateTimeOffset changedFrom, DateTimeOffset changedTo, CancellationToken cancellationToken);

    /// <summary>Reads a payment's journal entries, oldest first.</summary>
    ValueTask<IReadOnlyList<JournalEntry>> GetJournalAsync(PaymentId paymentId, CancellationToken cancellationToken);

    /// <summary>Sums every account's debits and credits, per currency.</summary>
    ValueTask<IReadOnlyList<AccountBalance>> GetBalancesAsync(CancellationToken cancellationToken);

    /// <summary>The store's outbox, drained by the relay.</summary>
    IOutboxStore Outbox { get; }
}

/// <summary>
/// A change to one payment, written atomically. A struct: the orchestrator makes two per operation and stores only
/// read them.
/// </summary>
public readonly record struct PaymentWrite
{
    private readonly IReadOnlyList<JournalEntry>? _journal;
    private readonly IReadOnlyList<PaymentOutboxEvent>? _events;

    /// <summary>The payment after the change; its <see cref="Payment.Version"/> is <see cref="ExpectedVersion"/> + 1.</summary>
    public required Payment Payment { get; init; }

    /// <summary>The version the change was computed from; 0 creates the payment.</summary>
    public required long ExpectedVersion { get; init; }

    /// <summary>Journal entries booked by the change.</summary>
    public IReadOnlyList<JournalEntry> Journal { get => _journal ?? []; init => _journal = value; }

    /// <summary>Events for the outbox.</summary>
    public IReadOnlyList<PaymentOutboxEvent> Events { get => _events ?? []; init => _events = value; }

    /// <summary>
    /// The caller key's new record (open or completed), written atomically with the payment by a store that also holds
    /// the keys. The orchestrator sets it only when its key store is the payment store; otherwise it saves the record
    /// in the key store right after this write.
    /// </summary>
    public IdempotencyRecord? Key { get; init; }

    /// <summary>The webhook event that caused the change, if any; the write fails as a duplicate if it was recorded before.</summary>
    public WebhookReceipt? Webhook { get; init; }
}

/// <summary>How a <see cref="PaymentWrite"/> ended.</summary>
public enum PaymentWriteStatus
{
    /// <summary>Written.</summary>
    Written,

    /// <summary>The payment changed since it was read (or already exists, on create): nothing was written.</summary>
    VersionConflict,

    /// <summary>The webhook event was recorded before: nothing was written.</summary>
    DuplicateWebhook,
}

/// <summary>A webhook event received from a provider, kept for deduplication.</summary>
/// <param name="Provider">The provider.</param>
/// <param name="EventId">The provider's event id.</param>
/// <param name="Kind">What it reported.</param>
/// <param name="PaymentId">The payment it was matched to, if any.</param>
/// <param name="ReceivedAt">When it arrived.</param>
public sealed record WebhookReceipt(string Provider, string EventId, string Kind, PaymentId? PaymentId, DateTimeOffset ReceivedAt);
