using Commerce.Collections;
using Commerce.Events;
using Commerce.Payments.Events;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Ledger;
using Commerce.Payments.Storage;

namespace Commerce.Payments.InMemory;

/// <summary>
/// The embedded payment store, holding the idempotency keys too. Each payment has its own lock, so writes to different
/// payments never contend; keys are claimed with compare-and-swap. Correct under heavy multithreading; state lives as long as the process.
/// </summary>
public sealed class InMemoryPaymentStore : IPaymentStore, IIdempotencyKeyStore, IKeyClaimWithPayment
{
    private readonly StripedDictionary<PaymentId, Entry> _payments = new();
    private readonly InMemoryIdempotencyKeyStore _keys = new();
    private readonly StripedDictionary<(string Provider, string EventId), WebhookReceipt> _webhooks = new();
    private readonly StripedDictionary<(string Provider, string PspReference), PaymentId> _pspReferences = new();
    private readonly InMemoryOutboxStore? _outbox;

    /// <summary>Creates an empty store that writes events to its <see cref="Outbox"/>.</summary>
    public InMemoryPaymentStore(TimeProvider? timeProvider = null)
        : this(recordEvents: true, timeProvider)
    {
    }

    /// <summary>Creates an empty store.</summary>
    /// <param name="recordEvents">
    /// Whether to keep the writes' events in <see cref="Outbox"/> for a relay. Without a relay to drain it, an in-memory
    /// outbox only grows: the dependency injection set-up records events only when an <see cref="IEventPublisher"/> is registered.
    /// </param>
    /// <param name="timeProvider">The clock of the outbox's retries.</param>
    public InMemoryPaymentStore(bool recordEvents, TimeProvider? timeProvider = null) =>
        _outbox = recordEvents ? new InMemoryOutboxStore(timeProvider) : null;

    /// <summary>Whether writes' events are kept for a relay.</summary>
    internal bool RecordsEvents => _outbox is not null;

    /// <inheritdoc />
    public IOutboxStore Outbox => _outbox ?? (IOutboxStore)EmptyOutboxStore.Instance;

    /// <inheritdoc />
    public ValueTask<IdempotencyClaim> ClaimKeyAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken) =>
        _keys.ClaimKeyAsync(candidate, now, cancellationToken);

    /// <inheritdoc />
    ValueTask<KeyClaimWithPayment> IKeyClaimWithPayment.ClaimKeyWithPaymentAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var claim = _keys.ClaimKey(candidate, now);
        return new(new KeyClaimWithPayment(claim, _payments.TryGetValue(candidate.PaymentId, out var entry) ? entry.Payment : null));
    }

    /// <inheritdoc />
    public ValueTask ReleaseKeyAsync(string key, bool forget, CancellationToken cancellationToken) => _keys.ReleaseKeyAsync(key, forget, cancellationToken);

    /// <inheritdoc />
    public ValueTask SaveKeyAsync(IdempotencyRecord record, CancellationToken cancellationToken) => _keys.SaveKeyAsync(record, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IdempotencyRecord?> GetKeyAsync(string key, CancellationToken cancellationToken) => _keys.GetKeyAsync(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> ReapKeysAsync(DateTimeOffset createdBefore, int maxCount, CancellationToken cancellationToken) =>
        _keys.ReapKeysAsync(createdBefore, maxCount, cancellationToken);

    /// <inheritdoc />
    public ValueTask<Payment?> GetAsync(PaymentId paymentId, CancellationToken cancellationToken) =>
        new(_payments.TryGetValue(paymentId, out var entry) ? entry.Payment : null);

    /// <inheritdoc />
    public ValueTask<PaymentWriteStatus> WriteAsync(PaymentWrite write, CancellationToken cancellationToken)
    {
        PaymentWriteValidation.Validate(write);
        var payment = write.Payment;
        Entry entry;
        if (write.ExpectedVersion == 0)
        {
            entry = new Entry();
            if (!_payments.TryAdd(payment.Id, entry))
            {
                return new(PaymentWriteStatus.VersionConflict);
            }
        }
        else if (!_payments.TryGetValue(payment.Id, out entry!))
        {
            return new(PaymentWriteStatus.VersionConflict);
        }

        lock (entry)
        {
            if ((entry.Payment?.Version ?? 0) != write.ExpectedVersion)
            {
                return new(PaymentWriteStatus.VersionConflict);
            }

            if (write.Webhook is { } webhook && !_webhooks.TryAdd((webhook.Provider, webhook.EventId), webhook))
            {
                if (write.ExpectedVersion == 0)
                {
                    _payments.TryRemove(payment.Id, entry);
                }

                return new(PaymentWriteStatus.DuplicateWebhook);
            }

            entry.Payment = payment;
            if (write.Journal.Count > 0)
            {
                entry.Journal = entry.Journal is { } booked ? [.. booked, .. write.Journal] : [.. write.Journal];
            }
            foreach (var attempt in payment.Attempts)
            {
                if (attempt.PspReference is not null && attempt.Operation == PaymentOperation.Authorize)
                {
                    _pspReferences.TryAdd((attempt.Provider, attempt.PspReference), payment.Id);
                }
            }

            if (write.Key is { } key)
            {
                _keys.Save(key);
            }

            // Appended under the payment's lock: the events of one payment reach the outbox in the order of its changes.
            var events = _outbox is null ? [] : write.Events;
            for (var i = 0; i < events.Count; i++)
            {
                var pending = events[i];
                _outbox!.Append(pending.EventId, pending.EventType, pending.StreamId, pending.OccurredAt, pending, PaymentOutboxEvent.Serializer);
            }
        }

        return new(PaymentWriteStatus.Written);
    }

    /// <inheritdoc />
    public ValueTask<bool> RecordWebhookAsync(WebhookReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return new(_webhooks.TryAdd((receipt.Provider, receipt.EventId), receipt));
    }

    /// <inheritdoc />
    public ValueTask<bool> IsWebhookRecordedAsync(string provider, string eventId, CancellationToken cancellationToken) =>
        new(_webhooks.ContainsKey((provider, eventId)));

    /// <inheritdoc />
    public ValueTask<PaymentId?> FindByPspReferenceAsync(string provider, string pspReference, CancellationToken cancellationToken) =>
        new(_pspReferences.TryGetValue((provider, pspReference), out var id) ? id : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Payment>> FindUnsettledAsync(DateTimeOffset changedBefore, int maxCount, CancellationToken cancellationToken)
    {
        var found = new List<Payment>();
        foreach (var (_, entry) in _payments.ScanEntries())
        {
            if (entry.Payment is { } payment && payment.UpdatedAt < changedBefore && payment.InFlight is not null)
            {
                found.Add(payment);
            }
        }

        found.Sort(static (a, b) => a.UpdatedAt.CompareTo(b.UpdatedAt));
        return new(found.Count > maxCount ? found.GetRange(0, maxCount) : found);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Payment> StreamChangedAsync(
        DateTimeOffset changedFrom, DateTimeOffset changedTo, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var changed = _payments.SnapshotValues().Select(static e => e.Payment)
            .Where(p => p is not null && p.UpdatedAt >= changedFrom && p.UpdatedAt < changedTo)
            .OrderBy(static p => p!.UpdatedAt).ToArray();
        foreach (var payment in changed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return payment!;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<JournalEntry>> GetJournalAsync(PaymentId paymentId, CancellationToken cancellationToken)
    {
        if (!_payments.TryGetValue(paymentId, out var entry))
        {
            return new(Array.Empty<JournalEntry>());
        }

        // The array is replaced whole, never changed, so it is read without the lock; a copy goes out (it is the ledger).
        return new(entry.Journal is { } journal ? [.. journal] : []);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AccountBalance>> GetBalancesAsync(CancellationToken cancellationToken)
    {
        var totals = new Dictionary<(string Account, Currency Currency), (long Debit, long Credit)>();
        foreach (var entry in _payments.SnapshotValues())
        {
            lock (entry)
            {
                foreach (var journal in entry.Journal ?? [])
                {
                    foreach (var line in journal.Lines)
                    {
                        totals.TryGetValue((line.Account, journal.Currency), out var total);
                        totals[(line.Account, journal.Currency)] = (checked(total.Debit + line.DebitMinor), checked(total.Credit + line.CreditMinor));
                    }
                }
            }
        }

        return new(totals.Select(static t => new AccountBalance(t.Key.Account, t.Key.Currency, t.Value.Debit, t.Value.Credit))
            .OrderBy(static b => b.Account, StringComparer.Ordinal).ThenBy(static b => b.Currency.Code, StringComparer.Ordinal).ToArray());
    }

    private sealed class Entry
    {
        public Payment? Payment;
        /// <summary>Created with the first entry (most payments in flight have none yet); replaced whole, under the entry's lock, by each write that books more.</summary>
        public volatile JournalEntry[]? Journal;
    }
}
