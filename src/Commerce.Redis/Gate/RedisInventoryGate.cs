using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Commerce.Inventory;
using Commerce.Inventory.Storage;
using StackExchange.Redis;

namespace Commerce.Redis.Gate;

/// <summary>
/// A hot-SKU gate in front of the inventory store that is the source of truth (PostgreSQL): Redis keeps, per SKU and
/// location, how many units may still be admitted, and takes them atomically before a reservation reaches the truth.
/// A sold-out SKU is answered from Redis alone, so ten thousand buyers racing for a hundred units cost the database a
/// hundred reservations, not ten thousand.
/// </summary>
/// <remarks>
/// <para>
/// The truth decides; the gate only filters. An admission the truth then refuses makes the gate drop that count (the
/// next request rebuilds it from the truth); one the truth answers as a replay, or rejects as invalid, gives the units
/// back. Releases give units back after the truth released them; restocks, syncs, backorder changes and expiries resync
/// the count from the truth, but only when no admission is in flight and none completed since the count was read, so a
/// resync never loses one. A missing count (first use, a Redis restart or flush) is rebuilt from the truth, once per SKU
/// and location at a time. A refusal from a count that has not been checked for <see cref="RedisGateOptions.VerifyInterval"/>
/// triggers a background check, which bounds how long the gate can wrongly refuse after anything it could not see.
/// </para>
/// <para>
/// With Redis unreachable every call goes to the truth alone, which stays correct: the gate can cost throughput, never
/// an oversell, since every reservation is still made by the truth. Reservation ids the gate admitted are remembered
/// (see <see cref="RedisGateOptions.AdmittedRetention"/>) so replays reach the truth even when the SKU has sold out.
/// </para>
/// </remarks>
public sealed class RedisInventoryGate : IInventoryStore, IDisposable
{
    private readonly IInventoryStore _truth;
    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly RedisGateOptions _options;
    private readonly RedisValue _verifyMs;
    private readonly RedisValue _admittedMs;
    private readonly RedisValue _inFlightMs;
    private readonly ConcurrentDictionary<(Sku, LocationId), Task<bool>> _rebuilds = new();
    private readonly ConcurrentDictionary<(Sku, LocationId), long> _known = new();
    private readonly ConcurrentDictionary<Sku, RedisKey[]> _keys = new();
    private readonly string _opPrefix = Guid.NewGuid().ToString("N")[..12];
    private long _opSequence;
    private long _admitted;
    private long _refused;
    private long _bypassed;

    /// <summary>Creates the gate.</summary>
    /// <param name="truth">The store that decides (PostgreSQL).</param>
    /// <param name="redis">The connection (standalone or cluster).</param>
    /// <param name="options">Settings; defaults when null.</param>
    public RedisInventoryGate(IInventoryStore truth, IConnectionMultiplexer redis, RedisGateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(redis);
        _truth = truth;
        _redis = redis;
        _db = redis.GetDatabase();
        _options = options ?? new RedisGateOptions();
        if (_options.KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException("The key prefix may not contain braces.", nameof(options));
        }

        _verifyMs = (long)_options.VerifyInterval.TotalMilliseconds;
        _admittedMs = (long)_options.AdmittedRetention.TotalMilliseconds;
        _inFlightMs = (long)_options.InFlightTimeout.TotalMilliseconds;
        _redis.ConnectionRestored += OnConnectionRestored;
    }

    /// <summary>The store behind the gate.</summary>
    public IInventoryStore Truth => _truth;

    /// <summary>Reservations the gate let through to the truth.</summary>
    public long Admitted => Interlocked.Read(ref _admitted);

    /// <summary>Reservations the gate refused without asking the truth.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Reservations that went to the truth alone (Redis unreachable, no count yet, a replay).</summary>
    public long Bypassed => Interlocked.Read(ref _bypassed);

    /// <inheritdoc />
    public async ValueTask<ReservationResult> ReserveAsync(ReservationCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var lines = command.Lines;
        if (!_redis.IsConnected)
        {
            return await BypassAsync(command, cancellationToken).ConfigureAwait(false);
        }

        Admission[] admissions;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                admissions = await AdmitAsync(command).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                return await BypassAsync(command, cancellationToken).ConfigureAwait(false);
            }

            var missing = false;
            var seen = false;
            var refused = false;
            foreach (var admission in admissions)
            {
                missing |= admission.Code == MissingCode;
                seen |= admission.Code == SeenCode;
                refused |= admission.Code == RefusedCode;
            }

            if (!missing && !seen && !refused)
            {
                break;
            }

            await EndAsync(lines, admissions, giveBack: true).ConfigureAwait(false);
            if (refused && !seen)
            {
                return Refuse(lines, admissions);
            }

            if (missing && !seen && attempt == 0)
            {
                var built = true;
                for (var i = 0; i < lines.Count; i++)
                {
                    if (admissions[i].Code == MissingCode)
                    {
                        built &= await RebuildAsync(lines[i].Sku, lines[i].Location).ConfigureAwait(false);
                    }
                }

                if (built)
                {
                    continue;
                }
            }

            // A replay of an admitted id, or a SKU the truth does not know: the truth answers, the gate is untouched.
            return await BypassAsync(command, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _admitted);
        ReservationResult result;
        try
        {
            result = await _truth.ReserveAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (CommerceException)
        {
            // Rejected before anything was held (unknown SKU, reused id): the units go back.
            await EndAsync(lines, admissions, giveBack: true).ConfigureAwait(false);
            throw;
        }
        catch (Exception)
        {
            // The outcome is unknown (the database may have committed): stop trusting the count.
            await DropAsync(lines).ConfigureAwait(false);
            throw;
        }

        if (result.IsSuccess)
        {
            await EndAsync(lines, admissions, giveBack: result.IsReplay).ConfigureAwait(false);
        }
        else
        {
            // The gate admitted what the truth refused: they disagree, so the count is rebuilt.
            await DropAsync(lines).ConfigureAwait(false);
        }

        return result;
    }

    /// <inheritdoc />
    public async ValueTask<ReservationResult> ReleaseAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = await _truth.ReleaseAsync(id, now, cancellationToken).ConfigureAwait(false);
        if (result is { IsSuccess: true, IsReplay: false, Reservation: { } reservation })
        {
            foreach (var line in reservation.Lines)
            {
                await TryAsync(GateKeys(line.Sku), GateScripts.Give, [line.Location.Value, line.Quantity]).ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <inheritdoc />
    public ValueTask<ReservationResult> CommitAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken) =>
        _truth.CommitAsync(id, now, cancellationToken); // on-hand and reserved both drop: what may be admitted is unchanged

    /// <inheritdoc />
    public ValueTask<ReservationResult> ExtendAsync(ReservationId id, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        _truth.ExtendAsync(id, expiresAt, now, cancellationToken);

    /// <inheritdoc />
    public ValueTask<Reservation?> GetReservationAsync(ReservationId id, CancellationToken cancellationToken) =>
        _truth.GetReservationAsync(id, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<int> ExpireAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken)
    {
        var expired = await _truth.ExpireAsync(now, maxCount, cancellationToken).ConfigureAwait(false);
        if (expired > 0)
        {
            // The truth does not say which SKUs got units back: resync every count this process keeps.
            await ResyncKnownAsync().ConfigureAwait(false);
        }

        return expired;
    }

    /// <inheritdoc />
    public async ValueTask<StockChangeResult> ApplyStockChangeAsync(StockChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var result = await _truth.ApplyStockChangeAsync(change, cancellationToken).ConfigureAwait(false);
        if (!result.IsReplay)
        {
            await ResyncAsync(change.Sku, change.Location).ConfigureAwait(false);
        }

        return result;
    }

    /// <inheritdoc />
    public async ValueTask<StockLevel> SetBackorderLimitAsync(Sku sku, LocationId location, long limit, CancellationToken cancellationToken)
    {
        var level = await _truth.SetBackorderLimitAsync(sku, location, limit, cancellationToken).ConfigureAwait(false);
        await ResyncAsync(sku, location).ConfigureAwait(false);
        return level;
    }

    /// <inheritdoc />
    public ValueTask<StockLevel?> GetStockAsync(Sku sku, LocationId location, CancellationToken cancellationToken) =>
        _truth.GetStockAsync(sku, location, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<StockMovement> ReadMovementsAsync(Sku sku, CancellationToken cancellationToken) =>
        _truth.ReadMovementsAsync(sku, cancellationToken);

    /// <summary>How many units the gate would admit now for a SKU at a location, or null when it keeps no count.</summary>
    public async ValueTask<long?> GetCountAsync(Sku sku, LocationId location)
    {
        var value = await _db.HashGetAsync(GateKeys(sku)[0].Append("h " + location.Value), "t").ConfigureAwait(false);
        return value.IsNull ? null : (long)value;
    }

    /// <summary>
    /// Sets the count of a SKU at a location from the truth now (waiting for admissions in flight to finish, a few
    /// times), for example before a flash sale opens. Returns whether the count was set.
    /// </summary>
    public async ValueTask<bool> ResyncAsync(Sku sku, LocationId location)
    {
        var keys = GateKeys(sku);
        var hash = keys[0].Append("h " + location.Value);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                var version = await _db.HashGetAsync(hash, "v").ConfigureAwait(false);
                var level = await _truth.GetStockAsync(sku, location, CancellationToken.None).ConfigureAwait(false);
                if (level is null)
                {
                    return false;
                }

                RedisValue expected = version.IsNull ? "-1" : version;
                if ((int)await _db.ScriptEvaluateAsync(GateScripts.Sync, keys, [location.Value, level.Reservable, expected, NewEpoch(), _inFlightMs]).ConfigureAwait(false) == 1)
                {
                    _known[(sku, location)] = Stopwatch.GetTimestamp();
                    return true;
                }
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                return false;
            }

            await Task.Delay(attempt + 1).ConfigureAwait(false);
        }

        // Left marked stale by the script: the next refusal checks it again.
        return false;
    }

    /// <inheritdoc />
    public void Dispose() => _redis.ConnectionRestored -= OnConnectionRestored;

    private async ValueTask<Admission[]> AdmitAsync(ReservationCommand command)
    {
        var lines = command.Lines;
        var admissions = new Admission[lines.Count];
        if (lines.Count == 1)
        {
            admissions[0] = await AdmitLineAsync(command.Id, lines[0]).ConfigureAwait(false);
            return admissions;
        }

        var pending = new Task<Admission>[lines.Count];
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = AdmitLineAsync(command.Id, lines[i]);
        }

        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // Give back whatever was taken before the failure, then let the caller go to the truth.
            for (var i = 0; i < pending.Length; i++)
            {
                admissions[i] = pending[i].IsCompletedSuccessfully ? pending[i].Result : default;
            }

            await EndAsync(lines, admissions, giveBack: true).ConfigureAwait(false);
            throw;
        }

        for (var i = 0; i < pending.Length; i++)
        {
            admissions[i] = pending[i].Result;
        }

        return admissions;
    }

    private async Task<Admission> AdmitLineAsync(ReservationId id, ReservedLine line)
    {
        RedisValue op = string.Concat(_opPrefix, Interlocked.Increment(ref _opSequence).ToString("x", CultureInfo.InvariantCulture));
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(GateScripts.Admit, GateKeys(line.Sku),
            [line.Location.Value, id.Value, line.Quantity, op, _verifyMs, _admittedMs]).ConfigureAwait(false))!;
        var code = (int)result[0];
        return code switch
        {
            AdmittedCode => new Admission(code, (RedisValue)result[1], (long)result[2], false, op),
            RefusedCode => new Admission(code, RedisValue.Null, (long)result[1], (int)result[2] == 1, op),
            _ => new Admission(code, RedisValue.Null, 0, false, op),
        };
    }

    private ReservationResult Refuse(IReadOnlyList<ReservedLine> lines, Admission[] admissions)
    {
        Interlocked.Increment(ref _refused);
        var availability = new LineAvailability[lines.Count];
        for (var i = 0; i < availability.Length; i++)
        {
            var admission = admissions[i];
            availability[i] = new LineAvailability(lines[i].Sku, lines[i].Location, lines[i].Quantity, Math.Max(0, admission.Units));
            if (admission is { Code: RefusedCode, Stale: true })
            {
                VerifyInBackground(lines[i].Sku, lines[i].Location);
            }
        }

        return ReservationResult.InsufficientStock(availability);
    }

    private ValueTask<ReservationResult> BypassAsync(ReservationCommand command, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _bypassed);
        return _truth.ReserveAsync(command, cancellationToken);
    }

    private async ValueTask EndAsync(IReadOnlyList<ReservedLine> lines, Admission[] admissions, bool giveBack)
    {
        for (var i = 0; i < admissions.Length; i++)
        {
            var admission = admissions[i];
            if (admission.Code != AdmittedCode)
            {
                continue;
            }

            _known.TryAdd((lines[i].Sku, lines[i].Location), 0);
            await TryAsync(GateKeys(lines[i].Sku), GateScripts.End,
                [lines[i].Location.Value, admission.Epoch, admission.Op, giveBack ? lines[i].Quantity : 0]).ConfigureAwait(false);
        }
    }

    private async ValueTask DropAsync(IReadOnlyList<ReservedLine> lines)
    {
        foreach (var line in lines)
        {
            await TryAsync(GateKeys(line.Sku), GateScripts.Drop, [line.Location.Value]).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a bookkeeping script; with Redis unreachable the count is left to the next resync or rebuild.</summary>
    private async ValueTask TryAsync(RedisKey[] keys, string script, RedisValue[] args)
    {
        try
        {
            await _db.ScriptEvaluateAsync(script, keys, args).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
        }
    }

    /// <summary>Builds a missing count from the truth, once per SKU and location at a time. False when the truth has no such stock.</summary>
    private async Task<bool> RebuildAsync(Sku sku, LocationId location)
    {
        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _rebuilds.GetOrAdd((sku, location), completion.Task);
        if (running != completion.Task)
        {
            return await running.ConfigureAwait(false);
        }

        try
        {
            var built = await ResyncAsync(sku, location).ConfigureAwait(false);
            completion.SetResult(built);
            return built;
        }
        catch (Exception ex)
        {
            completion.SetException(ex);
            throw;
        }
        finally
        {
            _rebuilds.TryRemove(new KeyValuePair<(Sku, LocationId), Task<bool>>((sku, location), completion.Task));
        }
    }

    private void VerifyInBackground(Sku sku, LocationId location)
    {
        var now = Stopwatch.GetTimestamp();
        var key = (sku, location);
        var last = _known.GetOrAdd(key, 0);
        if (Stopwatch.GetElapsedTime(last, now) < _options.VerifyInterval || !_known.TryUpdate(key, now, last))
        {
            return; // checked recently, or another caller is checking it now
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ResyncAsync(sku, location).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The truth is unreachable: the next stale refusal tries again.
            }
        });
    }

    private async ValueTask ResyncKnownAsync()
    {
        foreach (var (sku, location) in _known.Keys)
        {
            await ResyncAsync(sku, location).ConfigureAwait(false);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) =>
        // Anything may have changed while Redis was away (or it restarted empty): check every count this process keeps.
        _ = Task.Run(async () =>
        {
            try
            {
                await ResyncKnownAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Stale refusals check again.
            }
        });

    private RedisKey[] GateKeys(Sku sku)
    {
        if (_keys.TryGetValue(sku, out var keys))
        {
            return keys;
        }

        keys = [new RedisKey(string.Concat(_options.KeyPrefix, "gate:{", Escape(sku.Value), "}:"))];
        if (_keys.Count < 100_000)
        {
            _keys.TryAdd(sku, keys);
        }

        return keys;
    }

    /// <summary>Keeps the SKU's own braces out of the hash tag (ids may hold any printable ASCII).</summary>
    private static string Escape(string sku) =>
        sku.AsSpan().IndexOfAny("%{}") < 0 ? sku : sku.Replace("%", "%25", StringComparison.Ordinal).Replace("{", "%7B", StringComparison.Ordinal).Replace("}", "%7D", StringComparison.Ordinal);

    private static string NewEpoch() => Guid.NewGuid().ToString("N")[..16];

    private static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException or ObjectDisposedException;

    private const int MissingCode = -1;
    private const int RefusedCode = 0;
    private const int AdmittedCode = 1;
    private const int SeenCode = 2;

    private readonly record struct Admission(int Code, RedisValue Epoch, long Units, bool Stale, RedisValue Op);
}
