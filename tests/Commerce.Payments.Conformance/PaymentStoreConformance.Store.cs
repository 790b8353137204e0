using Commerce.Payments.Events;
using Commerce.Payments.Ledger;
using Commerce.Payments.Storage;

namespace Commerce.Payments.Conformance;

public abstract partial class PaymentStoreConformance
{
    private Payment NewPayment(PaymentId id, long amount = 1000)
    {
        var now = Time.GetUtcNow();
        return new Payment
        {
            Id = id,
            Amount = Usd(amount),
            PaymentMethod = "tok_visa",
            Status = PaymentStatus.Created,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
            Attempts =
            [
                new PaymentAttempt
                {
                    Number = 1, Operation = PaymentOperation.Authorize, Provider = "alpha", AmountMinor = amount,
                    PspKey = PaymentAttempt.DerivePspKey(id, 1, PaymentOperation.Authorize), Status = AttemptStatus.Pending, CreatedAt = now, UpdatedAt = now,
                },
            ],
        };
    }

    [Fact]
    public async Task Writes_are_conditional_on_the_version()
    {
        var id = NewPaymentId();
        var created = NewPayment(id);
        Assert.Equal(PaymentWriteStatus.Written, await Store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, default));
        Assert.Equal(PaymentWriteStatus.VersionConflict, await Store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, default));

        var updated = created with { Version = 2, AuthorizedMinor = 1000, Status = PaymentStatus.Authorized };
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(async () => await Store.WriteAsync(new PaymentWrite { Payment = updated, ExpectedVersion = 1 }, default))));

        Assert.Equal(1, results.Count(r => r == PaymentWriteStatus.Written));
        var stored = await Store.GetAsync(id, default);
        Assert.Equal(2, stored!.Version);
        Assert.Equal(1000, stored.AuthorizedMinor);
        Assert.Equal(created.Attempts, stored.Attempts);
    }

    [Fact]
    public async Task A_write_that_would_capture_more_than_authorized_is_refused_and_changes_nothing()
    {
        var id = NewPaymentId();
        var created = NewPayment(id);
        await Store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, default);

        var bad = created with { Version = 2, AuthorizedMinor = 500, CapturedMinor = 600 };
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await Store.WriteAsync(new PaymentWrite { Payment = bad, ExpectedVersion = 1 }, default));
        var refunds = created with { Version = 2, AuthorizedMinor = 500, CapturedMinor = 100, RefundedMinor = 101 };
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await Store.WriteAsync(new PaymentWrite { Payment = refunds, ExpectedVersion = 1 }, default));

        Assert.Equal(created, await Store.GetAsync(id, default));
    }

    [Fact]
    public async Task An_unbalanced_journal_entry_is_refused()
    {
        var id = NewPaymentId();
        var created = NewPayment(id);
        var entry = new JournalEntry
        {
            PaymentId = id,
            AttemptNumber = 1,
            Kind = "capture",
            Currency = Currency.FromCode("USD"),
            BookedAt = Time.GetUtcNow(),
            Lines = [new JournalLine("psp_clearing:alpha", 100, 0), new JournalLine("platform_sales", 0, 99)],
        };

        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () =>
            await Store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0, Journal = [entry] }, default));
        Assert.Null(await Store.GetAsync(id, default));
    }

    [Fact]
    public async Task Webhook_receipts_are_deduplicated_and_a_duplicate_rolls_its_write_back()
    {
        var id = NewPaymentId();
        var created = NewPayment(id);
        await Store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, default);
        var receipt = new WebhookReceipt("alpha", "evt_1", "Authorized", id, Time.GetUtcNow());

        Assert.True(await Store.RecordWebhookAsync(receipt, default));
        Assert.False(await Store.RecordWebhookAsync(receipt, default));
        Assert.True(await Store.IsWebhookRecordedAsync("alpha", "evt_1", default));
        Assert.False(await Store.IsWebhookRecordedAsync("beta", "evt_1", default));

        var change = created with { Version = 2, AuthorizedMinor = 1000 };
        var status = await Store.WriteAsync(new PaymentWrite { Payment = change, ExpectedVersion = 1, Webhook = receipt }, default);

        Assert.Equal(PaymentWriteStatus.DuplicateWebhook, status);
        Assert.Equal(created, await Store.GetAsync(id, default));
    }

    [Fact]
    public async Task A_write_with_a_webhook_records_both_or_neither()
    {
        // Created with a fresh receipt: both written.
        var id = NewPaymentId();
        var created = NewPayment(id);
        var first = new WebhookReceipt("alpha", "evt_create_" + id, "Authorized", id, Time.GetUtcNow());
        Assert.Equal(PaymentWriteStatus.Written, await Store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0, Webhook = first }, default));
        Assert.Equal(created, await Store.GetAsync(id, default));
        Assert.True(await Store.IsWebhookRecordedAsync("alpha", first.EventId, default));

        // Created again (the payment exists) with a fresh receipt: a conflict, and the receipt is not kept.
        var again = new WebhookReceipt("alpha", "evt_again_" + id, "Authorized", id, Time.GetUtcNow());
        Assert.Equal(PaymentWriteStatus.VersionConflict, await Store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0, Webhook = again }, default));
        Assert.False(await Store.IsWebhookRecordedAsync("alpha", again.EventId, default));

        // An update at a stale version with a fresh receipt: a conflict, nothing kept.
        var stale = new WebhookReceipt("alpha", "evt_stale_" + id, "Captured", id, Time.GetUtcNow());
        Assert.Equal(PaymentWriteStatus.VersionConflict,
            await Store.WriteAsync(new PaymentWrite { Payment = created with { Version = 4 }, ExpectedVersion = 3, Webhook = stale }, default));
        Assert.False(await Store.IsWebhookRecordedAsync("alpha", stale.EventId, default));
        Assert.Equal(created, await Store.GetAsync(id, default));

        // A new payment with a receipt seen before: refused as a duplicate, and the payment is not created.
        var other = NewPaymentId();
        Assert.Equal(PaymentWriteStatus.DuplicateWebhook,
            await Store.WriteAsync(new PaymentWrite { Payment = NewPayment(other), ExpectedVersion = 0, Webhook = first }, default));
        Assert.Null(await Store.GetAsync(other, default));

        // An update at the current version with a fresh receipt: both written.
        var update = new WebhookReceipt("alpha", "evt_update_" + id, "Authorized", id, Time.GetUtcNow());
        var changed = created with { Version = 2, Status = PaymentStatus.Authorized, AuthorizedMinor = 1000 };
        Assert.Equal(PaymentWriteStatus.Written, await Store.WriteAsync(new PaymentWrite { Payment = changed, ExpectedVersion = 1, Webhook = update }, default));
        Assert.Equal(changed, await Store.GetAsync(id, default));
        Assert.True(await Store.IsWebhookRecordedAsync("alpha", update.EventId, default));
    }

    [Fact]
    public async Task Payments_round_trip_with_attempts_splits_and_references()
    {
        var id = NewPaymentId();
        var now = Time.GetUtcNow();
        var payment = NewPayment(id) with
        {
            Splits = [new PaymentSplit(new SellerId("acme"), 600, 250), new PaymentSplit(new SellerId("globex"), 400, 0)],
            OrderId = new OrderId("order-1"),
        };
        var authorized = payment.Attempts[0] with { Status = AttemptStatus.Succeeded, PspReference = "psp_1", UpdatedAt = now };
        var capture = new PaymentAttempt
        {
            Number = 2,
            Operation = PaymentOperation.Capture,
            Provider = "alpha",
            AmountMinor = 300,
            IsFinal = true,
            PspKey = PaymentAttempt.DerivePspKey(id, 2, PaymentOperation.Capture),
            Status = AttemptStatus.Unknown,
            FailureCode = "timeout",
            FailureMessage = "no answer",
            ResolveTries = 3,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await Store.WriteAsync(new PaymentWrite { Payment = payment, ExpectedVersion = 0 }, default);
        var changed = payment with
        {
            Version = 2,
            Status = PaymentStatus.Unknown,
            AuthorizedMinor = 1000,
            Attempts = [authorized, capture],
            UpdatedAt = now,
        };
        await Store.WriteAsync(new PaymentWrite { Payment = changed, ExpectedVersion = 1 }, default);

        var stored = await Store.GetAsync(id, default);

        Assert.Equal(changed, stored);
        Assert.Equal(id, await Store.FindByPspReferenceAsync("alpha", "psp_1", default));
        Assert.Null(await Store.FindByPspReferenceAsync("beta", "psp_1", default));
    }

    [Fact]
    public async Task Unsettled_payments_are_found_oldest_first_once_old_enough()
    {
        var old = NewPayment(NewPaymentId());
        await Store.WriteAsync(new PaymentWrite { Payment = old, ExpectedVersion = 0 }, default);
        PassTime(TimeSpan.FromMinutes(1));
        var young = NewPayment(NewPaymentId()) with { CreatedAt = Time.GetUtcNow(), UpdatedAt = Time.GetUtcNow() };
        await Store.WriteAsync(new PaymentWrite { Payment = young, ExpectedVersion = 0 }, default);
        var settled = NewPayment(NewPaymentId()) with { Attempts = [], Status = PaymentStatus.Created };
        await Store.WriteAsync(new PaymentWrite { Payment = settled, ExpectedVersion = 0 }, default);

        var found = await Store.FindUnsettledAsync(Time.GetUtcNow() - TimeSpan.FromSeconds(30), 10, default);
        var all = await Store.FindUnsettledAsync(Time.GetUtcNow() + TimeSpan.FromSeconds(1), 10, default);

        Assert.Equal([old.Id], found.Select(p => p.Id));
        Assert.Equal([old.Id, young.Id], all.Select(p => p.Id));
    }

    [Fact]
    public async Task Journal_entries_and_events_are_written_with_the_payment_and_balances_derive_from_them()
    {
        var id = NewPaymentId();
        var usd = Currency.FromCode("USD");
        var entry = new JournalEntry
        {
            PaymentId = id,
            AttemptNumber = 1,
            Kind = "capture",
            Currency = usd,
            BookedAt = Time.GetUtcNow(),
            Lines = [new JournalLine("psp_clearing:alpha", 1000, 0), new JournalLine("seller_payable:acme", 0, 975), new JournalLine("platform_commission", 0, 25)],
        };
        var envelope = new PaymentOutboxEvent(Guid.NewGuid(), PaymentEventTypes.Captured, Time.GetUtcNow(),
            new PaymentEvent(id.Value, null, "captured", 2, "capture", "alpha", 1000, "USD", 1000, 1000, 0, null));
        await Store.WriteAsync(new PaymentWrite { Payment = NewPayment(id), ExpectedVersion = 0, Journal = [entry], Events = [envelope] }, default);

        var journal = await Store.GetJournalAsync(id, default);
        var balances = await Store.GetBalancesAsync(default);
        var claimed = await Store.Outbox.ClaimAsync(10, TimeSpan.FromSeconds(30), default);

        var stored = Assert.Single(journal);
        Assert.Equal(entry.Lines.ToHashSet(), stored.Lines.ToHashSet());
        Assert.Equal(entry with { Lines = stored.Lines }, stored);
        Assert.Contains(new AccountBalance("seller_payable:acme", usd, 0, 975), balances);
        Assert.Contains(new AccountBalance("psp_clearing:alpha", usd, 1000, 0), balances);
        Assert.Equal(0, balances.Sum(b => b.NetMinor));
        var message = Assert.Single(claimed, m => m.Event.EventId == envelope.EventId);
        Assert.Equal(envelope.EventType, message.Event.EventType);
        Assert.Equal(id.Value, message.Event.StreamId);
        var payload = System.Text.Json.JsonSerializer.Deserialize(message.Event.Payload.Span, PaymentsJsonContext.Default.PaymentEvent);
        Assert.Equal(envelope.Payload, payload);
    }
}
