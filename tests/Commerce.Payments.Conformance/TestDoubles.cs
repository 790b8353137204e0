using System.Text.Json;
using Commerce.Events;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Ledger;
using Commerce.Payments.Providers;
using Commerce.Payments.Storage;
using Commerce.Payments.Webhooks;

namespace Commerce.Payments.Conformance;

/// <summary>Where a simulated crash strikes a store write.</summary>
public enum CrashPoint
{
    /// <summary>No crash.</summary>
    None,

    /// <summary>The process dies before the write reaches the store.</summary>
    BeforeWrite,

    /// <summary>The write is stored, then the process dies before it can use the answer.</summary>
    AfterWrite,
}

/// <summary>
/// A store that "crashes" (throws) at a chosen write, to test recovery between any two steps. It holds keys when the
/// store it wraps does, and answers a claim with its payment as the payment stores do.
/// </summary>
public sealed class CrashingPaymentStore(IPaymentStore inner) : IPaymentStore, IIdempotencyKeyStore, IKeyClaimWithPayment
{
    private IIdempotencyKeyStore InnerKeys => inner as IIdempotencyKeyStore ?? throw new InvalidOperationException("The wrapped store holds no keys.");

    private int _writes;

    /// <summary>The 1-based write that crashes; 0 for none.</summary>
    public int CrashAtWrite { get; set; }

    /// <summary>Where the crash strikes.</summary>
    public CrashPoint Point { get; set; }

    /// <summary>Runs after a claim with its payment, before the caller gets the answer: stands for a concurrent writer.</summary>
    public Func<ValueTask>? AfterClaimWithPayment { get; set; }

    /// <inheritdoc />
    public IOutboxStore Outbox => inner.Outbox;

    /// <inheritdoc />
    public async ValueTask<PaymentWriteStatus> WriteAsync(PaymentWrite write, CancellationToken cancellationToken)
    {
        var crash = Interlocked.Increment(ref _writes) == CrashAtWrite;
        if (crash && Point == CrashPoint.BeforeWrite)
        {
            throw new SimulatedCrashException();
        }

        var status = await inner.WriteAsync(write, cancellationToken);
        if (crash && Point == CrashPoint.AfterWrite)
        {
            throw new SimulatedCrashException();
        }

        return status;
    }

    /// <inheritdoc />
    public ValueTask<IdempotencyClaim> ClaimKeyAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken) =>
        InnerKeys.ClaimKeyAsync(candidate, now, cancellationToken);

    /// <inheritdoc />
    async ValueTask<KeyClaimWithPayment> IKeyClaimWithPayment.ClaimKeyWithPaymentAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var answer = inner is IKeyClaimWithPayment claims
            ? await claims.ClaimKeyWithPaymentAsync(candidate, now, cancellationToken)
            : new KeyClaimWithPayment(await InnerKeys.ClaimKeyAsync(candidate, now, cancellationToken), await inner.GetAsync(candidate.PaymentId, cancellationToken));
        if (AfterClaimWithPayment is { } concurrentWriter)
        {
            await concurrentWriter();
        }

        return answer;
    }

    /// <inheritdoc />
    public ValueTask ReleaseKeyAsync(string key, bool forget, CancellationToken cancellationToken) => InnerKeys.ReleaseKeyAsync(key, forget, cancellationToken);

    /// <inheritdoc />
    public ValueTask SaveKeyAsync(IdempotencyRecord record, CancellationToken cancellationToken) => InnerKeys.SaveKeyAsync(record, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IdempotencyRecord?> GetKeyAsync(string key, CancellationToken cancellationToken) => InnerKeys.GetKeyAsync(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask<Payment?> GetAsync(PaymentId paymentId, CancellationToken cancellationToken) => inner.GetAsync(paymentId, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> RecordWebhookAsync(WebhookReceipt receipt, CancellationToken cancellationToken) => inner.RecordWebhookAsync(receipt, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> IsWebhookRecordedAsync(string provider, string eventId, CancellationToken cancellationToken) =>
        inner.IsWebhookRecordedAsync(provider, eventId, cancellationToken);

    /// <inheritdoc />
    public ValueTask<PaymentId?> FindByPspReferenceAsync(string provider, string pspReference, CancellationToken cancellationToken) =>
        inner.FindByPspReferenceAsync(provider, pspReference, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Payment>> FindUnsettledAsync(DateTimeOffset changedBefore, int maxCount, CancellationToken cancellationToken) =>
        inner.FindUnsettledAsync(changedBefore, maxCount, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<Payment> StreamChangedAsync(DateTimeOffset changedFrom, DateTimeOffset changedTo, CancellationToken cancellationToken) =>
        inner.StreamChangedAsync(changedFrom, changedTo, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<JournalEntry>> GetJournalAsync(PaymentId paymentId, CancellationToken cancellationToken) =>
        inner.GetJournalAsync(paymentId, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AccountBalance>> GetBalancesAsync(CancellationToken cancellationToken) => inner.GetBalancesAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> ReapKeysAsync(DateTimeOffset createdBefore, int maxCount, CancellationToken cancellationToken) =>
        InnerKeys.ReapKeysAsync(createdBefore, maxCount, cancellationToken);
}

/// <summary>Stands for the process dying.</summary>
public sealed class SimulatedCrashException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimulatedCrashException()
        : base("Simulated crash.")
    {
    }
}

/// <summary>
/// A webhook format for tests: a JSON array of events, signed by the header <c>X-Test-Signature: valid</c>.
/// </summary>
public sealed class TestWebhookParser : IPaymentWebhookParser
{
    /// <inheritdoc />
    public IReadOnlyList<ProviderWebhookEvent> Parse(PaymentWebhookRequest request)
    {
        if (!request.Headers.TryGetValue("X-Test-Signature", out var signature) || signature != "valid")
        {
            throw new CommerceValidationException(PaymentErrorCodes.WebhookSignatureInvalid, "Bad signature.");
        }

        try
        {
            using var document = JsonDocument.Parse(request.Body);
            return document.RootElement.EnumerateArray().Select(e => new ProviderWebhookEvent(
                e.GetProperty("id").GetString()!,
                Enum.Parse<WebhookEventKind>(e.GetProperty("kind").GetString()!),
                e.TryGetProperty("reference", out var r) ? r.GetString() : null,
                e.TryGetProperty("psp", out var p) ? p.GetString() : null,
                null,
                DateTimeOffset.UnixEpoch)).ToArray();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            throw new CommerceValidationException(PaymentErrorCodes.WebhookMalformed, "Malformed.");
        }
    }

    /// <summary>Builds a signed request for events given as (id, kind, reference).</summary>
    public static PaymentWebhookRequest Request(params (string Id, WebhookEventKind Kind, string? Reference)[] events) =>
        new(JsonSerializer.SerializeToUtf8Bytes(events.Select(e => new Dictionary<string, string?> { ["id"] = e.Id, ["kind"] = e.Kind.ToString(), ["reference"] = e.Reference })),
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["x-test-signature"] = "valid" });
}

/// <summary>
/// A provider whose first authorization call stops before reaching the PSP until <see cref="Resume"/>: a request paused
/// (a stalled process) between persisting its attempt and sending it, for longer than its lease.
/// </summary>
public sealed class PausingPaymentProvider(IPaymentProvider inner) : IPaymentProvider
{
    private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;

    /// <summary>Completes when the first authorization is paused.</summary>
    public Task Paused => _paused.Task;

    /// <summary>Lets the paused authorization reach the PSP.</summary>
    public void Resume() => _resume.TrySetResult();

    /// <inheritdoc />
    public async ValueTask<ProviderResult> AuthorizeAsync(ProviderAuthorizeRequest request, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) == 1)
        {
            _paused.TrySetResult();
            await _resume.Task.ConfigureAwait(false);
        }

        return await inner.AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<ProviderResult> CaptureAsync(ProviderCaptureRequest request, CancellationToken cancellationToken) => inner.CaptureAsync(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ProviderResult> VoidAsync(ProviderVoidRequest request, CancellationToken cancellationToken) => inner.VoidAsync(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ProviderResult> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ProviderStatus> GetStatusAsync(ProviderStatusRequest request, CancellationToken cancellationToken) => inner.GetStatusAsync(request, cancellationToken);
}
