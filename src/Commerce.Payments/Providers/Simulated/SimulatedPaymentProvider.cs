using System.Collections.Concurrent;
using Commerce.Collections;

namespace Commerce.Payments.Providers.Simulated;

/// <summary>Settings of a <see cref="SimulatedPaymentProvider"/>. Rates are probabilities between 0 and 1.</summary>
public sealed record SimulatedPaymentProviderOptions
{
    /// <summary>Seeds every random choice: the same seed and the same calls give the same outcomes. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>How long each call takes. Default zero (calls complete synchronously).</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>The share of authorizations declined at random (besides the <c>tok_decline</c> token). Default 0.</summary>
    public double DeclineRate { get; init; }

    /// <summary>The share of calls refused before processing (like a connection refused): safe to retry elsewhere. Default 0.</summary>
    public double ErrorRate { get; init; }

    /// <summary>The share of calls that time out before the PSP processed them: the caller cannot tell. Default 0.</summary>
    public double TimeoutRate { get; init; }

    /// <summary>The share of calls the PSP processes but whose response is lost: the caller cannot tell. Default 0.</summary>
    public double LostResponseRate { get; init; }

    /// <summary>The share of status queries that fail (the PSP is unreachable). Default 0.</summary>
    public double StatusErrorRate { get; init; }
}

/// <summary>
/// A payment service provider simulated in memory, for tests, demos and benchmarks. It keeps payments and honours
/// idempotency keys like a real PSP (the same key returns the first outcome and never processes twice), and counts
/// what it processed, so tests can prove nobody was charged twice. Deterministic by seed: each call's fate depends
/// only on the seed, its idempotency key and how many times that key was sent before.
/// </summary>
/// <remarks>
/// The token <c>tok_decline</c> is always declined, <c>tok_visa</c> (and any other) authorizes unless a random decline
/// is drawn; <c>tok_unknown</c> always loses the response.
/// </remarks>
public sealed class SimulatedPaymentProvider : IPaymentProvider
{
    /// <summary>The token that is always declined.</summary>
    public const string DeclineToken = "tok_decline";

    /// <summary>A token that authorizes.</summary>
    public const string SuccessToken = "tok_visa";

    /// <summary>A token whose authorization is processed but whose response is always lost.</summary>
    public const string LostResponseToken = "tok_unknown";

    private readonly SimulatedPaymentProviderOptions _options;
    private readonly TimeProvider _timeProvider;
    /// <summary>The prefix of every PSP reference: the rest is our reference, so one table serves both look-ups.</summary>
    private const string PspReferencePrefix = "sim_";

    // One entry per PSP idempotency key (its send count and first outcome) and one per payment, keyed by its PSP
    // reference (the string the payment keeps anyway): a call adds two entries at most, in tables that neither copy
    // themselves to grow nor allocate a node per entry, so the simulated PSP stays a small share of a benchmarked request.
    private readonly StripedDictionary<string, SentKey> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _statusQueries = new(StringComparer.Ordinal);
    private readonly StripedDictionary<string, SimulatedPayment> _byPspReference = new(StringComparer.Ordinal);
    private long _authorizations;
    private long _captures;
    private long _voids;
    private long _refunds;

    /// <summary>Creates a simulated PSP.</summary>
    public SimulatedPaymentProvider(SimulatedPaymentProviderOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new SimulatedPaymentProviderOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Authorizations processed (each idempotency key counts once, however often it was sent).</summary>
    public long Authorizations => Interlocked.Read(ref _authorizations);

    /// <summary>Captures processed.</summary>
    public long Captures => Interlocked.Read(ref _captures);

    /// <summary>Voids processed.</summary>
    public long Voids => Interlocked.Read(ref _voids);

    /// <summary>Refunds processed.</summary>
    public long Refunds => Interlocked.Read(ref _refunds);

    /// <summary>Every authorize, capture, void and refund call received, including retries and resends of a key (status queries excluded).</summary>
    public long Calls => _keys.SnapshotValues().Sum(static k => (long)Volatile.Read(ref k.Sends));

    /// <summary>What the PSP holds for a reference: authorized, captured and refunded minor units, or null.</summary>
    public (long Authorized, long Captured, long Refunded, bool Voided)? Find(string reference) =>
        _byPspReference.TryGetValue(PspReferencePrefix + reference, out var p) ? p.Snapshot() : null;

    /// <summary>How many successful authorizations the PSP processed for a reference; more than one would be a double charge.</summary>
    public int AuthorizationsFor(string reference) => _byPspReference.TryGetValue(PspReferencePrefix + reference, out var p) ? p.AuthorizationCount : 0;

    /// <inheritdoc />
    public ValueTask<ProviderResult> AuthorizeAsync(ProviderAuthorizeRequest request, CancellationToken cancellationToken)
    {
        return CallAsync(request.IdempotencyKey, request, static (self, r) => self.Authorize(r), cancellationToken,
            forceLost: request.PaymentMethod == LostResponseToken);
    }

    /// <inheritdoc />
    public ValueTask<ProviderResult> CaptureAsync(ProviderCaptureRequest request, CancellationToken cancellationToken)
    {
        return CallAsync(request.IdempotencyKey, request, static (self, r) => self.Capture(r), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ProviderResult> VoidAsync(ProviderVoidRequest request, CancellationToken cancellationToken)
    {
        return CallAsync(request.IdempotencyKey, request, static (self, r) => self.Void(r), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ProviderResult> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken)
    {
        return CallAsync(request.IdempotencyKey, request, static (self, r) => self.Refund(r), cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<ProviderStatus> GetStatusAsync(ProviderStatusRequest request, CancellationToken cancellationToken)
    {
        if (_options.Latency > TimeSpan.Zero)
        {
            await Task.Delay(_options.Latency, _timeProvider, cancellationToken).ConfigureAwait(false);
        }

        var send = _statusQueries.AddOrUpdate(request.Reference, 1, static (_, n) => n + 1);
        if (Draw(Hash(request.Reference), send, 5) < _options.StatusErrorRate)
        {
            return ProviderStatus.Unavailable;
        }

        if (!_byPspReference.TryGetValue(PspReferencePrefix + request.Reference, out var payment))
        {
            return ProviderStatus.NotFound;
        }

        lock (payment)
        {
            if (payment.Declined)
            {
                return new ProviderStatus(ProviderPaymentState.Declined, payment.PspReference);
            }

            return new ProviderStatus(payment.Voided ? ProviderPaymentState.Voided : ProviderPaymentState.Authorized,
                payment.PspReference, payment.Authorized, payment.Captured, payment.Refunded);
        }
    }

    private ValueTask<ProviderResult> CallAsync<TRequest>(
        string key, TRequest request, Func<SimulatedPaymentProvider, TRequest, ProviderResult> process, CancellationToken cancellationToken, bool forceLost = false)
    {
        if (_options.Latency > TimeSpan.Zero)
        {
            return SlowAsync(key, request, process, forceLost, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new(Decide(key, request, process, forceLost));
    }

    private async ValueTask<ProviderResult> SlowAsync<TRequest>(
        string key, TRequest request, Func<SimulatedPaymentProvider, TRequest, ProviderResult> process, bool forceLost, CancellationToken cancellationToken)
    {
        await Task.Delay(_options.Latency, _timeProvider, cancellationToken).ConfigureAwait(false);
        return Decide(key, request, process, forceLost);
    }

    private ProviderResult Decide<TRequest>(string key, TRequest request, Func<SimulatedPaymentProvider, TRequest, ProviderResult> process, bool forceLost)
    {
        var sent = _keys.GetOrAdd(key, static (_, _) => new SentKey(), 0);
        var hash = Hash(key);
        ProviderResult result;
        lock (sent)
        {
            // Under the key's lock: concurrent sends of one key are counted apart, and the first to get through
            // processes it, exactly once, like a real PSP.
            var send = ++sent.Sends;
            if (Draw(hash, send, 1) < _options.ErrorRate)
            {
                return ProviderResult.NotSent("simulated_unavailable", "The simulated PSP refused the connection.");
            }

            if (Draw(hash, send, 2) < _options.TimeoutRate)
            {
                return ProviderResult.Unknown("simulated_timeout", "The simulated PSP did not answer in time.");
            }

            // Like a real PSP: a key seen before returns its first outcome and is never processed again.
            if (!sent.Processed)
            {
                sent.Result = process(this, request);
                sent.Processed = true;
            }

            result = sent.Result;
            if (forceLost || Draw(hash, send, 3) < _options.LostResponseRate)
            {
                return ProviderResult.Unknown("simulated_lost_response", "The simulated PSP processed the call but the response was lost.");
            }
        }

        return result;
    }

    private ProviderResult Authorize(ProviderAuthorizeRequest request)
    {
        var payment = _byPspReference.GetOrAdd(PspReferencePrefix + request.Reference, static (reference, _) => new SimulatedPayment(reference), 0);
        lock (payment)
        {
            if (request.PaymentMethod == DeclineToken || Draw(Hash(request.IdempotencyKey), 0, 4) < _options.DeclineRate)
            {
                payment.Declined = true;
                return ProviderResult.Decline("card_declined", "The card was declined.", payment.PspReference);
            }

            Interlocked.Increment(ref _authorizations);
            payment.AuthorizationCount++;
            payment.Declined = false;
            payment.Authorized = request.Amount.MinorUnits;
            return ProviderResult.Success(payment.PspReference);
        }
    }

    private ProviderResult Capture(ProviderCaptureRequest request)
    {
        if (FindAuthorized(request.PspReference) is not { } payment)
        {
            return ProviderResult.Decline("resource_missing", "No such payment.");
        }

        lock (payment)
        {
            if (payment.Voided || payment.Captured + request.Amount.MinorUnits > payment.Authorized)
            {
                return ProviderResult.Decline("amount_too_large", "The capture exceeds the authorized amount.", payment.PspReference);
            }

            Interlocked.Increment(ref _captures);
            payment.Captured += request.Amount.MinorUnits;
            return ProviderResult.Success(payment.PspReference);
        }
    }

    private ProviderResult Void(ProviderVoidRequest request)
    {
        if (FindAuthorized(request.PspReference) is not { } payment)
        {
            return ProviderResult.Decline("resource_missing", "No such payment.");
        }

        lock (payment)
        {
            if (payment.Captured > 0)
            {
                return ProviderResult.Decline("payment_captured", "A captured payment cannot be voided.", payment.PspReference);
            }

            Interlocked.Increment(ref _voids);
            payment.Voided = true;
            return ProviderResult.Success(payment.PspReference);
        }
    }

    private ProviderResult Refund(ProviderRefundRequest request)
    {
        if (FindAuthorized(request.PspReference) is not { } payment)
        {
            return ProviderResult.Decline("resource_missing", "No such payment.");
        }

        lock (payment)
        {
            if (payment.Refunded + request.Amount.MinorUnits > payment.Captured)
            {
                return ProviderResult.Decline("amount_too_large", "The refund exceeds the captured amount.", payment.PspReference);
            }

            Interlocked.Increment(ref _refunds);
            payment.Refunded += request.Amount.MinorUnits;
            return ProviderResult.Success(payment.PspReference);
        }
    }

    /// <summary>The payment a PSP reference names, once it has been authorized.</summary>
    private SimulatedPayment? FindAuthorized(string pspReference)
    {
        if (!_byPspReference.TryGetValue(pspReference, out var payment))
        {
            return null;
        }

        lock (payment)
        {
            return payment.AuthorizationCount > 0 ? payment : null;
        }
    }

    /// <summary>FNV-1a over a key: computed once per call, then mixed per draw.</summary>
    private static ulong Hash(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>A uniform draw in [0, 1) fixed by the seed, the key's hash, the send count and the purpose.</summary>
    private double Draw(ulong hash, int send, int purpose)
    {
        // SplitMix64 finalization over the key's FNV-1a hash, the seed, the send count and the purpose.
        hash ^= ((ulong)(uint)_options.Seed << 32) | ((ulong)(uint)send << 8) | (uint)purpose;
        hash = (hash ^ (hash >> 30)) * 0xbf58476d1ce4e5b9UL;
        hash = (hash ^ (hash >> 27)) * 0x94d049bb133111ebUL;
        hash ^= hash >> 31;
        return (hash >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>A PSP idempotency key: how often it was sent, and its first outcome once processed.</summary>
    private sealed class SentKey
    {
        public int Sends;
        public bool Processed;
        public ProviderResult Result;
    }

    private sealed class SimulatedPayment(string pspReference)
    {
        public string PspReference { get; } = pspReference;

        public int AuthorizationCount;
        public bool Declined;
        public bool Voided;
        public long Authorized;
        public long Captured;
        public long Refunded;

        public (long, long, long, bool) Snapshot()
        {
            lock (this)
            {
                return (Authorized, Captured, Refunded, Voided);
            }
        }
    }
}
