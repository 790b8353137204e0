using System.Threading.RateLimiting;
using Commerce.Checkout.Admission;
using Commerce.Checkout.Storage;
using Commerce.Payments;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Checkout;

/// <summary>
/// The checkout engine's entry point: <see cref="CheckoutAsync"/> admits a request (rate limits, the bounded queue, the
/// sold-out fast path, the per-buyer cap), checks prices against the <see cref="IPriceCatalog"/>, and runs the saga
/// over the configured <see cref="ICheckoutSagaStore"/> and <see cref="PaymentService"/>: reserve and place the order,
/// authorize, commit and mark paid, capture. Every outcome is a <see cref="CheckoutResult"/> with a stable error code;
/// only a null request, a cancelled token or an infrastructure fault throws, and such a fault leaves the saga for
/// <see cref="RecoverDueAsync"/> (run by the hosted recovery worker) to finish or compensate.
/// </summary>
public sealed partial class CheckoutService : IAsyncDisposable
{
    private readonly ICheckoutSagaStore _store;
    private readonly PaymentService _payments;
    private readonly IPriceCatalog _catalog;
    private readonly CheckoutOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly CheckoutLimiters _limiters;
    private readonly ISoldOutGate _soldOut;
    private readonly ConcurrencyLimiter _queue;
    private readonly BuyerQuotas _quotas = new();
    private readonly ILogger _logger;
    private volatile bool _quotasUsed;

    /// <summary>Creates the service.</summary>
    /// <param name="store">Where saga progress and the local steps go.</param>
    /// <param name="payments">The payments engine (with its providers).</param>
    /// <param name="catalog">The host's price catalog.</param>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="limiters">Rate limiters; the in-process defaults from <paramref name="options"/> when null.</param>
    /// <param name="soldOutGate">The sold-out fast path; an <see cref="InProcessSoldOutGate"/> when null.</param>
    /// <param name="logger">Where recovery problems are logged.</param>
    public CheckoutService(
        ICheckoutSagaStore store,
        PaymentService payments,
        IPriceCatalog catalog,
        IOptions<CheckoutOptions> options,
        TimeProvider timeProvider,
        CheckoutLimiters? limiters = null,
        ISoldOutGate? soldOutGate = null,
        ILogger<CheckoutService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(payments);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _store = store;
        _payments = payments;
        _catalog = catalog;
        _options = options.Value;
        _timeProvider = timeProvider;
        _limiters = limiters ?? CheckoutLimiters.FromOptions(_options);
        _soldOut = soldOutGate ?? new InProcessSoldOutGate(_options.SoldOutRecheckInterval, timeProvider);
        _queue = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.MaxConcurrentCheckouts,
            QueueLimit = _options.MaxQueuedCheckouts,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The settings in force.</summary>
    public CheckoutOptions Options => _options;

    /// <summary>The sold-out fast path in use.</summary>
    public ISoldOutGate SoldOutGate => _soldOut;

    /// <summary>Test hook: runs between the saga's steps (a throw simulates a crash there).</summary>
    internal Func<string, CheckoutSaga, ValueTask>? StepHook { get; set; }

    /// <summary>
    /// Buys a cart. Repeating the request with the same idempotency key returns the same checkout's outcome and never
    /// charges twice; a request refused before anything changed (<see cref="CheckoutStatus.Rejected"/>) leaves the key free.
    /// </summary>
    /// <returns>
    /// <see cref="CheckoutStatus.Completed"/>; <see cref="CheckoutStatus.Rejected"/> with <c>checkout.invalid_request</c>,
    /// <c>checkout.busy</c> (and <see cref="CheckoutResult.RetryAfter"/>), <c>checkout.sold_out</c>,
    /// <c>checkout.price_changed</c>, <c>checkout.idempotency_key_reused</c>, ...; <see cref="CheckoutStatus.Failed"/>
    /// (compensated) with <c>checkout.declined</c>, <c>checkout.payment_failed</c>, <c>checkout.reservation_expired</c>;
    /// or <see cref="CheckoutStatus.Pending"/> with <c>checkout.payment_pending</c> / <c>checkout.in_progress</c>.
    /// </returns>
    public async ValueTask<CheckoutResult> CheckoutAsync(CheckoutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Validate(request, out var totalMinor) is { } invalid)
        {
            return Rejected(invalid);
        }

        if (_limiters.PerBuyer is { } perBuyer)
        {
            using var lease = perBuyer.AttemptAcquire(request.Buyer.Value);
            if (!lease.IsAcquired)
            {
                return Busy(lease, "The buyer is checking out too fast.");
            }
        }

        if (_limiters.Global is { } global)
        {
            using var lease = global.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                return Busy(lease, "Too many checkouts right now.");
            }
        }

        var slot = _queue.AttemptAcquire();
        if (!slot.IsAcquired)
        {
            slot.Dispose();
            slot = await _queue.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
            if (!slot.IsAcquired)
            {
                using (slot)
                {
                    return Busy(slot, "The checkout queue is full.");
                }
            }
        }

        try
        {
            return await RunAsync(request, totalMinor, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slot.Dispose();
        }
    }

    /// <summary>Returns a checkout's outcome as it stands, or null when no checkout has the id.</summary>
    public async ValueTask<CheckoutResult?> GetAsync(CheckoutId checkoutId, CancellationToken cancellationToken = default)
    {
        var saga = await _store.GetAsync(checkoutId, cancellationToken).ConfigureAwait(false);
        return saga is null ? null : ResultOf(saga, isReplay: true);
    }

    /// <summary>Returns the outcome of the checkout started under an idempotency key, or null when none was.</summary>
    public async ValueTask<CheckoutResult?> GetByKeyAsync(IdempotencyKey idempotencyKey, CancellationToken cancellationToken = default)
    {
        var saga = await _store.FindByKeyAsync(idempotencyKey, cancellationToken).ConfigureAwait(false);
        return saga is null ? null : ResultOf(saga, isReplay: true);
    }

    /// <summary>Returns a checkout's saga state, or null.</summary>
    public ValueTask<CheckoutSaga?> GetSagaAsync(CheckoutId checkoutId, CancellationToken cancellationToken = default) =>
        _store.GetAsync(checkoutId, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _queue.DisposeAsync().ConfigureAwait(false);

    private async ValueTask<CheckoutResult> RunAsync(CheckoutRequest request, long totalMinor, CancellationToken cancellationToken)
    {
        var lines = request.Lines;
        var fingerprint = Fingerprint(request);

        // The sold-out fast path: no store call for a SKU known to be gone (a repeat of a started checkout excepted).
        for (var i = 0; i < lines.Count; i++)
        {
            if (_soldOut.ShouldRefuse(lines[i].Sku))
            {
                return await RefuseAsync(request, fingerprint, SoldOutError(lines[i].Sku), null, cancellationToken).ConfigureAwait(false);
            }
        }

        var sagaLines = new CheckoutSagaLine[lines.Count];
        List<CheckoutPrice>? changed = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var item = await _catalog.GetAsync(line.Sku, request.Currency, cancellationToken).ConfigureAwait(false);
            if (item is null || item.UnitPrice.Currency != request.Currency)
            {
                return await RefuseAsync(request, fingerprint, UnknownSku(line.Sku), null, cancellationToken).ConfigureAwait(false);
            }

            if (item.UnitPrice != line.ExpectedUnitPrice)
            {
                (changed ??= []).Add(new CheckoutPrice(line.Sku, line.ExpectedUnitPrice, item.UnitPrice));
            }

            sagaLines[i] = new CheckoutSagaLine(line.Sku, item.Seller, line.Quantity, item.UnitPrice.MinorUnits);
            if ((item.MaxQuantityPerBuyer ?? _options.MaxQuantityPerBuyerPerSku) is { } cap && !TakeQuota(request.Buyer, line.Sku, line.Quantity, cap))
            {
                GiveBack(request.Buyer, sagaLines, i);
                return await RefuseAsync(request, fingerprint, new CommerceError(CheckoutErrorCodes.QuantityCapExceeded,
                    $"A buyer may buy at most {cap} of {line.Sku} in this sale.", "Lines"), null, cancellationToken).ConfigureAwait(false);
            }
        }

        if (changed is not null)
        {
            GiveBack(request.Buyer, sagaLines, sagaLines.Length);
            return await RefuseAsync(request, fingerprint, new CommerceError(CheckoutErrorCodes.PriceChanged,
                "At least one price changed since the buyer saw it; nothing was charged.", "Lines"), changed, cancellationToken).ConfigureAwait(false);
        }

        var saga = NewSaga(request, fingerprint, sagaLines, totalMinor);
        BeginResult begun;
        try
        {
            begun = await _store.BeginAsync(saga, cancellationToken).ConfigureAwait(false);
        }
        catch (CommerceException e) when (e.Code == Inventory.InventoryErrorCodes.UnknownSku)
        {
            GiveBack(request.Buyer, sagaLines, sagaLines.Length);
            return Rejected(new CommerceError(CheckoutErrorCodes.UnknownSku, e.Error.Message, "Lines"));
        }

        switch (begun.Status)
        {
            case BeginStatus.Begun:
                await HookAsync("begun", begun.Saga!).ConfigureAwait(false);
                var result = await DriveAsync(begun.Saga!, live: true, isReplay: false, cancellationToken).ConfigureAwait(false);
                if (result.Status is CheckoutStatus.Failed or CheckoutStatus.Rejected)
                {
                    GiveBack(request.Buyer, sagaLines, sagaLines.Length);
                }

                return result;
            case BeginStatus.Existing:
                GiveBack(request.Buyer, sagaLines, sagaLines.Length);
                return await ReplayAsync(begun.Saga!, fingerprint, cancellationToken).ConfigureAwait(false);
            default:
                GiveBack(request.Buyer, sagaLines, sagaLines.Length);
                var availability = begun.Availability ?? [];
                for (var i = 0; i < availability.Count; i++)
                {
                    if (availability[i].Available <= 0)
                    {
                        _soldOut.ReportSoldOut(availability[i].Sku);
                    }
                }

                return new CheckoutResult(CheckoutStatus.Rejected, SoldOutError(null)) { Availability = availability, Total = Money.Zero(request.Currency) };
        }
    }

    /// <summary>
    /// Refuses a request before anything changed, unless its key already started a checkout: a repeat of a started
    /// checkout always gets that checkout's outcome, even once its SKU sold out or its price moved.
    /// </summary>
    private async ValueTask<CheckoutResult> RefuseAsync(
        CheckoutRequest request, Guid fingerprint, CommerceError error, IReadOnlyList<CheckoutPrice>? prices, CancellationToken cancellationToken)
    {
        var existing = await _store.FindByKeyAsync(request.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return await ReplayAsync(existing, fingerprint, cancellationToken).ConfigureAwait(false);
        }

        return new CheckoutResult(CheckoutStatus.Rejected, error) { CurrentPrices = prices ?? [], Total = Money.Zero(request.Currency) };
    }

    /// <summary>Answers a repeat of a started checkout: its outcome, driving it on first if nobody else owns it any more.</summary>
    private async ValueTask<CheckoutResult> ReplayAsync(CheckoutSaga saga, Guid fingerprint, CancellationToken cancellationToken)
    {
        if (saga.Fingerprint != fingerprint)
        {
            return Rejected(new CommerceError(CheckoutErrorCodes.IdempotencyKeyReused,
                $"Idempotency key '{saga.IdempotencyKey}' was already used for a different checkout.", "IdempotencyKey"));
        }

        if (!saga.NeedsDriving || saga.LeaseExpiresAt > Now())
        {
            return ResultOf(saga, isReplay: true);
        }

        var taken = await TakeOverAsync(saga, cancellationToken).ConfigureAwait(false);
        return taken is null
            ? ResultOf((await _store.GetAsync(saga.Id, cancellationToken).ConfigureAwait(false)) ?? saga, isReplay: true)
            : await DriveAsync(taken, live: false, isReplay: true, cancellationToken).ConfigureAwait(false);
    }

    private bool TakeQuota(BuyerId buyer, Sku sku, long quantity, long cap)
    {
        _quotasUsed = true;
        return _quotas.TryTake(buyer, sku, quantity, cap);
    }

    private void GiveBack(BuyerId buyer, CheckoutSagaLine[] lines, int count)
    {
        if (!_quotasUsed)
        {
            return;
        }

        for (var i = 0; i < count; i++)
        {
            _quotas.Give(buyer, lines[i].Sku, lines[i].Quantity);
        }
    }

    private CheckoutResult Busy(RateLimitLease lease, string message) => new(CheckoutStatus.Rejected, new CommerceError(CheckoutErrorCodes.Busy, message))
    {
        RetryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : _options.BusyRetryAfter,
    };

    private static CheckoutResult Rejected(CommerceError error) => new(CheckoutStatus.Rejected, error);

    private static CommerceError SoldOutError(Sku? sku) => new(CheckoutErrorCodes.SoldOut,
        sku is { } s ? $"{s} is sold out." : "Not enough stock for at least one line; nothing was charged.", "Lines");

    private static CommerceError UnknownSku(Sku sku) => new(CheckoutErrorCodes.UnknownSku, $"{sku} is not for sale in this currency.", "Lines");

    private ValueTask HookAsync(string step, CheckoutSaga saga) => StepHook is { } hook ? hook(step, saga) : ValueTask.CompletedTask;

    private void LogRecoveryFailure(Exception exception, CheckoutId id) => Log.DriveFailed(_logger, id.Value, exception);
}

/// <summary>The checkout engine's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Driving checkout {CheckoutId} failed; it will be retried.")]
    public static partial void DriveFailed(ILogger logger, string checkoutId, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "The checkout recovery pass failed; retrying at the next interval.")]
    public static partial void RecoveryPassFailed(ILogger logger, Exception exception);
}
