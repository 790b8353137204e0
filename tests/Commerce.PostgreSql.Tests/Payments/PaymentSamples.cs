using System.Collections.Immutable;
using System.Text;
using Commerce.Events;
using Commerce.Payments;
using Commerce.Payments.Events;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Ledger;
using Commerce.Payments.Storage;
using Commerce.Testing;

namespace Commerce.PostgreSql.Tests.Payments;

/// <summary>Payments, attempts and writes as the orchestrator makes them, for the PostgreSQL-specific tests.</summary>
internal static class PaymentSamples
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static Payment Created(string id, long amount = 10_000) => new()
    {
        Id = new PaymentId(id),
        Amount = new Money(amount, Currency.EUR),
        PaymentMethod = "pm_card_visa",
        Splits = [new PaymentSplit(new SellerId("acme"), amount - 1_000, 250), new PaymentSplit(new SellerId("zeta"), 1_000, 0)],
        OrderId = new OrderId("order-" + id),
        Status = PaymentStatus.Created,
        Attempts = [Attempt(id, 1, PaymentOperation.Authorize, amount, AttemptStatus.Pending)],
        Version = 1,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    public static Payment Authorized(Payment created) => created with
    {
        Status = PaymentStatus.Authorized,
        AuthorizedMinor = created.Amount.MinorUnits,
        Attempts = [created.Attempts[0] with { Status = AttemptStatus.Succeeded, PspReference = "psp_" + created.Id.Value, UpdatedAt = T0.AddSeconds(1) }],
        Version = created.Version + 1,
        UpdatedAt = T0.AddSeconds(1),
    };

    /// <summary>An authorized payment fully captured by attempt 2, with the journal entry a capture books.</summary>
    public static PaymentWrite Capture(Payment authorized)
    {
        var amount = authorized.AuthorizedMinor;
        var captured = authorized with
        {
            Status = PaymentStatus.Captured,
            CapturedMinor = amount,
            CaptureClosed = true,
            Attempts = authorized.Attempts.Add(Attempt(authorized.Id.Value, 2, PaymentOperation.Capture, amount, AttemptStatus.Succeeded) with { IsFinal = true }),
            Version = authorized.Version + 1,
            UpdatedAt = T0.AddSeconds(2),
        };
        return new PaymentWrite
        {
            Payment = captured,
            ExpectedVersion = authorized.Version,
            Journal = [Entry(authorized.Id, 2, "capture", amount, T0.AddSeconds(2))],
            Events = [Event(authorized.Id, "payments.payment.captured", T0.AddSeconds(2))],
        };
    }

    public static PaymentAttempt Attempt(string paymentId, int number, PaymentOperation operation, long amount, AttemptStatus status) => new()
    {
        Number = number,
        Operation = operation,
        Provider = "simulated",
        AmountMinor = amount,
        PspKey = PaymentAttempt.DerivePspKey(new PaymentId(paymentId), number, operation),
        Status = status,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    /// <summary>A balanced capture entry: PSP clearing debited, seller and commission credited.</summary>
    public static JournalEntry Entry(PaymentId paymentId, int attempt, string kind, long amount, DateTimeOffset at) => new()
    {
        PaymentId = paymentId,
        AttemptNumber = attempt,
        Kind = kind,
        Currency = Currency.EUR,
        Lines =
        [
            new JournalLine(LedgerAccounts.PspClearing("simulated"), amount, 0),
            new JournalLine(LedgerAccounts.SellerPayable(new SellerId("acme")), 0, amount - amount / 10),
            new JournalLine(LedgerAccounts.PlatformCommission, 0, amount / 10),
        ],
        BookedAt = at,
    };

    public static PaymentOutboxEvent Event(PaymentId paymentId, string type, DateTimeOffset at) =>
        new(Guid.NewGuid(), type, at, new PaymentEvent(paymentId.Value, null, "created", 1, "authorize", "simulated", 100, "USD", 0, 0, 0, null));

    public static IdempotencyRecord Key(string key, string paymentId, DateTimeOffset now, string fingerprint = "fp-1") => new()
    {
        Key = key,
        Operation = PaymentOperation.Authorize,
        Fingerprint = TestFingerprints.Of(fingerprint),
        PaymentId = new PaymentId(paymentId),
        State = IdempotencyState.InProgress,
        LeaseExpiresAt = now.AddSeconds(30),
        CreatedAt = now,
    };

}
