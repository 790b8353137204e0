using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Commerce.Inventory;
using Commerce.Inventory.Storage;
using StackExchange.Redis;

namespace Commerce.Redis.Inventory;

public sealed partial class RedisInventoryStore
{
    private static readonly RedisValue Commit = "1";
    private static readonly RedisValue Release = "2";
    private static readonly RedisValue[] ReservationFields = ["st", "c", "e", "l"];
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromHours(1);
    private int _sweepOffset;

    /// <inheritdoc />
    public async ValueTask<ReservationResult> ReserveAsync(ReservationCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var idShard = ShardOf(command.Id);
        var lines = command.Lines;
        for (var i = 0; i < lines.Count; i++)
        {
            if (ShardOf(lines[i].Sku) != idShard)
            {
                return await ReserveAcrossShardsAsync(command, idShard, cancellationToken).ConfigureAwait(false);
            }
        }

        var args = new RedisValue[6 + (3 * lines.Count)];
        args[0] = command.Id.Value;
        args[1] = command.Fingerprint.ToString("N");
        args[2] = Micros(command.Now);
        args[3] = Micros(command.ExpiresAt);
        args[4] = _events;
        args[5] = lines.Count;
        for (int i = 0, o = 6; i < lines.Count; i++, o += 3)
        {
            args[o] = lines[i].Sku.Value;
            args[o + 1] = lines[i].Location.Value;
            args[o + 2] = lines[i].Quantity;
        }

        var waited = Stopwatch.StartNew();
        while (true)
        {
            var result = (RedisResult[])(await EvalAsync(idShard, InventoryScripts.Reserve, args).ConfigureAwait(false))!;
            switch ((int)result[0])
            {
                case 0:
                    return ReservationResult.Success(new Reservation(command.Id, lines, ReservationState.Active, command.Now, command.ExpiresAt));
                case 4:
                    return ReservationResult.InsufficientStock(Availability(lines, result, 1));
                case 5:
                    await WaitForAttemptAsync(command.Id, waited, cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    return BeginOutcome(command, result);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<ReservationResult> CommitAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken) =>
        FinishAsync(id, now, Commit, "committed", cancellationToken);

    /// <inheritdoc />
    public ValueTask<ReservationResult> ReleaseAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken) =>
        FinishAsync(id, now, Release, "released", cancellationToken);

    /// <inheritdoc />
    public async ValueTask<ReservationResult> ExtendAsync(ReservationId id, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await EvalAsync(ShardOf(id), InventoryScripts.Extend, [id.Value, Micros(expiresAt), Micros(now)]).ConfigureAwait(false))!;
        var code = (int)result[0];
        if (code == 4)
        {
            throw NotFound(id);
        }

        var reservation = ReadReservation(id, result, 1);
        return code switch
        {
            0 => ReservationResult.Success(reservation),
            2 => NotActive(reservation, "extended"),
            _ => ExpiredFailure(reservation),
        };
    }

    /// <inheritdoc />
    public async ValueTask<Reservation?> GetReservationAsync(ReservationId id, CancellationToken cancellationToken)
    {
        var values = await _db.HashGetAsync(Key(ShardOf(id), "r ", id.Value), ReservationFields).ConfigureAwait(false);
        if (values[0].IsNull || values[0] == "p" || values[0] == "x")
        {
            return null;
        }

        return new Reservation(id, ParseLines(values[3]!), (ReservationState)(int)values[0], FromMicros((long)values[1]), FromMicros((long)values[2]));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Sweeps the shards one after another, starting at a rotating shard, until <paramref name="maxCount"/> have expired.
    /// The same pass rolls back multi-shard attempts whose caller died, applies decisions a dead caller left unapplied,
    /// and deletes finished reservations and stock-change keys older than <see cref="RedisInventoryOptions.Retention"/>.
    /// </remarks>
    public async ValueTask<int> ExpireAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken)
    {
        var expired = 0;
        var start = (int)((uint)Interlocked.Increment(ref _sweepOffset) % (uint)_shards);
        RedisValue nowArg = Micros(now);
        RedisValue reapBefore = Micros(now - _options.Retention);
        RedisValue grace = (long)_options.SettleGrace.TotalMilliseconds;
        for (var i = 0; i < _shards && expired < maxCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shard = (start + i) % _shards;
            var result = (RedisResult[])(await EvalAsync(shard, InventoryScripts.Expire, [nowArg, maxCount - expired, _events, reapBefore, grace]).ConfigureAwait(false))!;
            expired += (int)result[0];
            var o = 1;
            var settle = (int)result[o++];
            for (var s = 0; s < settle; s++, o += 4)
            {
                var id = new ReservationId((string)result[o]!);
                await SettleAsync(id, shard, (RedisValue)result[o + 1], ParseLines((string)result[o + 2]!), (RedisValue)result[o + 3], nowArg).ConfigureAwait(false);
            }

            var abort = (int)result[o++];
            for (var a = 0; a < abort; a++, o += 3)
            {
                var id = new ReservationId((string)result[o]!);
                await RollBackAsync(id, shard, ParseLines((string)result[o + 1]!), (RedisValue)result[o + 2], nowArg).ConfigureAwait(false);
            }
        }

        return expired;
    }

    private async ValueTask<ReservationResult> FinishAsync(ReservationId id, DateTimeOffset now, RedisValue target, string verb, CancellationToken cancellationToken)
    {
        var idShard = ShardOf(id);
        RedisValue nowArg = Micros(now);
        var result = (RedisResult[])(await EvalAsync(idShard, InventoryScripts.Finish, [id.Value, nowArg, target, _events]).ConfigureAwait(false))!;
        var code = (int)result[0];
        if (code == 4)
        {
            throw NotFound(id);
        }

        var reservation = ReadReservation(id, result, 1);
        if ((int)result[5] == 1)
        {
            // Decided but not yet applied in every shard (just now, or by a caller that died): apply it before answering.
            await SettleAsync(id, idShard, (RedisValue)result[1], reservation.Lines, (RedisValue)result[6], nowArg).ConfigureAwait(false);
        }

        return code switch
        {
            0 => ReservationResult.Success(reservation),
            1 => ReservationResult.Success(reservation, isReplay: true),
            2 => NotActive(reservation, verb),
            _ => ExpiredFailure(reservation),
        };
    }

    private async ValueTask<ReservationResult> ReserveAcrossShardsAsync(ReservationCommand command, int idShard, CancellationToken cancellationToken)
    {
        var lines = command.Lines;
        RedisValue token = NewToken();
        RedisValue now = Micros(command.Now);
        RedisValue[] begin =
        [
            command.Id.Value, command.Fingerprint.ToString("N"), now, Micros(command.ExpiresAt), token, FormatLines(lines),
            (long)_options.PendingTimeout.TotalMilliseconds,
        ];
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var started = (RedisResult[])(await EvalAsync(idShard, InventoryScripts.Begin, begin).ConfigureAwait(false))!;
            var code = (int)started[0];
            if (code == 0)
            {
                break;
            }

            if (code != 5)
            {
                return BeginOutcome(command, started);
            }

            await WaitForAttemptAsync(command.Id, waited, cancellationToken).ConfigureAwait(false);
        }

        var groups = GroupByShard(lines);
        var holds = new Task<RedisResult>[groups.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            var (shard, indexes) = groups[g];
            var args = new RedisValue[4 + (3 * indexes.Count)];
            args[0] = command.Id.Value;
            args[1] = token;
            args[2] = now;
            args[3] = indexes.Count;
            for (int i = 0, o = 4; i < indexes.Count; i++, o += 3)
            {
                var line = lines[indexes[i]];
                args[o] = line.Sku.Value;
                args[o + 1] = line.Location.Value;
                args[o + 2] = line.Quantity;
            }

            holds[g] = EvalAsync(shard, InventoryScripts.Hold, args);
        }

        try
        {
            await Task.WhenAll(holds).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Some holds may have happened: undo them all (late ones are refused by the tombstones), then report.
            await TryRollBackAsync(command.Id, idShard, lines, token, now).ConfigureAwait(false);
            throw;
        }

        var allHeld = true;
        var availability = new long[lines.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            var result = (RedisResult[])holds[g].Result!;
            var code = (int)result[0];
            if (code == 3)
            {
                await TryRollBackAsync(command.Id, idShard, lines, token, now).ConfigureAwait(false);
                var line = lines[groups[g].Indexes[(int)result[1] - 1]];
                throw UnknownSku(line.Sku, line.Location);
            }

            if (code is 6 or 7)
            {
                await TryRollBackAsync(command.Id, idShard, lines, token, now).ConfigureAwait(false);
                throw RedisInventoryErrors.InProgress($"Reservation '{command.Id}' could not be held: another attempt holds it. Nothing is held; retry.");
            }

            allHeld &= code == 0;
            for (var i = 0; i < groups[g].Indexes.Count && i + 1 < result.Length; i++)
            {
                availability[groups[g].Indexes[i]] = (long)result[i + 1];
            }
        }

        if (!allHeld)
        {
            await TryRollBackAsync(command.Id, idShard, lines, token, now).ConfigureAwait(false);
            var report = new LineAvailability[lines.Count];
            for (var i = 0; i < report.Length; i++)
            {
                report[i] = new LineAvailability(lines[i].Sku, lines[i].Location, lines[i].Quantity, Math.Max(0, availability[i]));
            }

            return ReservationResult.InsufficientStock(report);
        }

        var confirmed = (RedisResult[])(await EvalAsync(idShard, InventoryScripts.Confirm, [command.Id.Value, token, _events]).ConfigureAwait(false))!;
        if ((int)confirmed[0] != 0)
        {
            // The sweeper rolled the attempt back (this caller was slower than PendingTimeout): nothing is held.
            await TryRollBackAsync(command.Id, idShard, lines, token, now).ConfigureAwait(false);
            throw RedisInventoryErrors.InProgress(
                $"Reservation '{command.Id}' took longer than the pending timeout and was rolled back. Nothing is held; retry.");
        }

        return ReservationResult.Success(new Reservation(command.Id, lines, ReservationState.Active, command.Now, command.ExpiresAt));
    }

    /// <summary>Undoes an attempt in every stock shard, then deletes it; a failure is left to the sweeper.</summary>
    private async Task TryRollBackAsync(ReservationId id, int idShard, IReadOnlyList<ReservedLine> lines, RedisValue token, RedisValue now)
    {
        try
        {
            await RollBackAsync(id, idShard, lines, token, now).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // The attempt stays pending; the sweeper rolls it back after PendingTimeout.
        }
    }

    private async Task RollBackAsync(ReservationId id, int idShard, IReadOnlyList<ReservedLine> lines, RedisValue token, RedisValue now)
    {
        var groups = GroupByShard(lines);
        var undo = new Task[groups.Count];
        RedisValue tombstone = (long)TombstoneLifetime.TotalMilliseconds;
        for (var g = 0; g < groups.Count; g++)
        {
            undo[g] = EvalAsync(groups[g].Shard, InventoryScripts.Unhold, [id.Value, token, now, tombstone]);
        }

        await Task.WhenAll(undo).ConfigureAwait(false);
        await EvalAsync(idShard, InventoryScripts.Abort, [id.Value, token]).ConfigureAwait(false);
    }

    private async Task SettleAsync(ReservationId id, int idShard, RedisValue target, IReadOnlyList<ReservedLine> lines, RedisValue token, RedisValue now)
    {
        var groups = GroupByShard(lines);
        var apply = new Task[groups.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            apply[g] = EvalAsync(groups[g].Shard, InventoryScripts.Settle, [id.Value, token, target, now]);
        }

        await Task.WhenAll(apply).ConfigureAwait(false);
        await EvalAsync(idShard, InventoryScripts.Settled, [id.Value]).ConfigureAwait(false);
    }

    private async Task WaitForAttemptAsync(ReservationId id, Stopwatch waited, CancellationToken cancellationToken)
    {
        // Another copy of this request is between its steps; it finishes, or the sweeper rolls it back.
        if (waited.Elapsed > _options.PendingTimeout * 2)
        {
            throw RedisInventoryErrors.InProgress($"Another attempt of reservation '{id}' is still in progress; retry later.");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50, 1 + waited.ElapsedMilliseconds / 10)), cancellationToken).ConfigureAwait(false);
    }

    private static ReservationResult BeginOutcome(ReservationCommand command, RedisResult[] result)
    {
        switch ((int)result[0])
        {
            case 1:
                return ReservationResult.Success(ReadReservation(command.Id, result, 1), isReplay: true);
            case 2:
                throw new CommerceValidationException(InventoryErrorCodes.IdempotencyKeyReused,
                    $"Reservation id '{command.Id}' was already used for a different request.", "Id");
            case 3:
                var line = command.Lines[(int)result[1] - 1];
                throw UnknownSku(line.Sku, line.Location);
            default:
                throw new InvalidOperationException($"Unexpected reservation outcome {(int)result[0]}.");
        }
    }

    private List<(int Shard, List<int> Indexes)> GroupByShard(IReadOnlyList<ReservedLine> lines)
    {
        var groups = new List<(int Shard, List<int> Indexes)>();
        for (var i = 0; i < lines.Count; i++)
        {
            var shard = ShardOf(lines[i].Sku);
            var group = groups.FindIndex(g => g.Shard == shard);
            if (group < 0)
            {
                groups.Add((shard, [i]));
            }
            else
            {
                groups[group].Indexes.Add(i);
            }
        }

        return groups;
    }

    private static LineAvailability[] Availability(IReadOnlyList<ReservedLine> lines, RedisResult[] result, int first)
    {
        var availability = new LineAvailability[lines.Count];
        for (var i = 0; i < availability.Length; i++)
        {
            availability[i] = new LineAvailability(lines[i].Sku, lines[i].Location, lines[i].Quantity, Math.Max(0, (long)result[first + i]));
        }

        return availability;
    }

    /// <summary>Reads state, created, expires, lines starting at <paramref name="first"/>.</summary>
    private static Reservation ReadReservation(ReservationId id, RedisResult[] result, int first) =>
        new(id, ParseLines((string)result[first + 3]!), (ReservationState)(int)result[first],
            FromMicros((long)result[first + 1]), FromMicros((long)result[first + 2]));

    private static string FormatLines(IReadOnlyList<ReservedLine> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(line.Sku.Value).Append(' ').Append(line.Location.Value).Append(' ').Append(line.Quantity.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static ReservedLine[] ParseLines(string text)
    {
        var words = text.Split(' ');
        var lines = new ReservedLine[words.Length / 3];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = new ReservedLine(new Sku(words[3 * i]), new LocationId(words[(3 * i) + 1]), long.Parse(words[(3 * i) + 2], CultureInfo.InvariantCulture));
        }

        return lines;
    }

    private static string NewToken()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes).ToString("x16", CultureInfo.InvariantCulture);
    }

    private static CommerceException NotFound(ReservationId id) =>
        new(new CommerceError(InventoryErrorCodes.ReservationNotFound, $"No reservation has id '{id}'.", "id"));

    private static ReservationResult NotActive(Reservation reservation, string verb) =>
        ReservationResult.Failure(new CommerceError(InventoryErrorCodes.ReservationNotActive,
            $"Reservation '{reservation.Id}' is {reservation.State.ToString().ToLowerInvariant()} and cannot be {verb}."), reservation);

    private static ReservationResult ExpiredFailure(Reservation reservation) =>
        ReservationResult.Failure(new CommerceError(InventoryErrorCodes.ReservationExpired,
            $"Reservation '{reservation.Id}' expired at {reservation.ExpiresAt:O}."), reservation);
}
