using Commerce.Inventory;
using Commerce.Inventory.Storage;
using Npgsql;

namespace Commerce.PostgreSql.Inventory;

public sealed partial class PostgreSqlInventoryStore
{
    private const short Committed = 1;
    private const short Released = 2;

    /// <inheritdoc />
    public ValueTask<ReservationResult> ReserveAsync(ReservationCommand command, CancellationToken cancellationToken) =>
        _batcher.ReserveAsync(command, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ReservationResult> CommitAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken) =>
        FinishAsync(id, now, Committed, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ReservationResult> ReleaseAsync(ReservationId id, DateTimeOffset now, CancellationToken cancellationToken) =>
        FinishAsync(id, now, Released, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<ReservationResult> ExtendAsync(ReservationId id, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.Extend);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(Text(id.Value));
        command.Parameters.Add(Time(expiresAt));
        return await ReadTransitionAsync(command, id, "extended", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<Reservation?> GetReservationAsync(ReservationId id, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.GetReservation);
        command.Parameters.Add(Text(id.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadReservation(reader, id, 0) : null;
    }

    /// <inheritdoc />
    /// <remarks>The same round trip also reaps, in a batch of the same size, what has outlived <see cref="PostgreSqlInventoryOptions.Retention"/>.</remarks>
    public async ValueTask<int> ExpireAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken)
    {
        await using var batch = _dataSource.CreateBatch();
        var expire = new NpgsqlBatchCommand(_sql.Expire);
        expire.Parameters.Add(Time(now));
        expire.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
        expire.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });
        var reap = new NpgsqlBatchCommand(_sql.Reap);
        reap.Parameters.Add(Time(now - _options.Retention));
        reap.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
        batch.BatchCommands.Add(expire);
        batch.BatchCommands.Add(reap);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetInt32(0);
    }

    /// <summary>Runs one coalesced batch of reservations in a single call. Ids within a batch are distinct.</summary>
    internal async Task ExecuteBatchAsync(IReadOnlyList<ReservationBatcher.Pending> batch, CancellationToken cancellationToken)
    {
        var count = batch.Count;
        var lineCount = 0;
        for (var i = 0; i < count; i++)
        {
            lineCount += batch[i].Command.Lines.Count;
        }

        var now = batch[0].Command.Now;
        var ids = new string[count];
        var fingerprints = new Guid[count];
        var expires = new DateTime[count];
        var lineCounts = new int[count];
        var skus = new string[lineCount];
        var locations = new string[lineCount];
        var quantities = new long[lineCount];
        var line = 0;
        for (var i = 0; i < count; i++)
        {
            var command = batch[i].Command;
            ids[i] = command.Id.Value;
            fingerprints[i] = command.Fingerprint;
            expires[i] = command.ExpiresAt.UtcDateTime;
            lineCounts[i] = command.Lines.Count;
            if (command.Now > now)
            {
                now = command.Now;
            }

            foreach (var l in command.Lines)
            {
                skus[line] = l.Sku.Value;
                locations[line] = l.Location.Value;
                quantities[line++] = l.Quantity;
            }
        }

        await using var sql = _dataSource.CreateCommand(_sql.Reserve);
        var p = sql.Parameters;
        p.Add(Time(now));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = fingerprints });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = expires, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = lineCounts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = skus });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = locations });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = quantities });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });

        var results = new ReservationResult[count];
        var errors = new Exception?[count];
        await using (var reader = await sql.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var index = reader.GetInt32(0) - 1;
                var command = batch[index].Command;
                switch (reader.GetInt16(1))
                {
                    case 0:
                        results[index] = ReservationResult.Success(
                            new Reservation(command.Id, command.Lines, ReservationState.Active, now, command.ExpiresAt));
                        break;
                    case 1:
                        results[index] = ReservationResult.Success(
                            new Reservation(command.Id, ReadLines(reader, 5), (ReservationState)reader.GetInt16(2),
                                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)),
                            isReplay: true);
                        break;
                    case 2:
                        errors[index] = new CommerceValidationException(InventoryErrorCodes.IdempotencyKeyReused,
                            $"Reservation id '{command.Id}' was already used for a different request.", "Id");
                        break;
                    case 3:
                        var available = reader.GetFieldValue<long?[]>(8);
                        var unknown = command.Lines[Array.IndexOf(available, null)];
                        errors[index] = new CommerceValidationException(InventoryErrorCodes.UnknownSku,
                            $"{unknown.Sku} has no stock record at {unknown.Location}.", "Sku");
                        break;
                    default:
                        results[index] = ReservationResult.InsufficientStock(Availability(command, reader.GetFieldValue<long?[]>(8)));
                        break;
                }
            }
        }

        // Results are handed out only after the reader is closed, so continuations never wait on this connection.
        for (var i = 0; i < count; i++)
        {
            if (errors[i] is { } error)
            {
                batch[i].Completion.TrySetException(error);
            }
            else
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
    }

    private async ValueTask<ReservationResult> FinishAsync(ReservationId id, DateTimeOffset now, short target, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.Finish);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(Text(id.Value));
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = target });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });
        return await ReadTransitionAsync(command, id, target == Committed ? "committed" : "released", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the (status, reservation) row the finish and extend functions return.</summary>
    private static async ValueTask<ReservationResult> ReadTransitionAsync(NpgsqlCommand command, ReservationId id, string verb, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var status = reader.GetInt16(0);
        if (status == 4)
        {
            throw new CommerceException(new CommerceError(InventoryErrorCodes.ReservationNotFound, $"No reservation has id '{id}'.", "id"));
        }

        var reservation = ReadReservation(reader, id, 1);
        return status switch
        {
            0 => ReservationResult.Success(reservation),
            1 => ReservationResult.Success(reservation, isReplay: true),
            2 => ReservationResult.Failure(new CommerceError(InventoryErrorCodes.ReservationNotActive,
                $"Reservation '{id}' is {reservation.State.ToString().ToLowerInvariant()} and cannot be {verb}."), reservation),
            _ => ReservationResult.Failure(new CommerceError(InventoryErrorCodes.ReservationExpired,
                $"Reservation '{id}' expired at {reservation.ExpiresAt:O}."), reservation),
        };
    }

    /// <summary>Reads state, created, expires, skus, locations, quantities starting at column <paramref name="first"/>.</summary>
    private static Reservation ReadReservation(NpgsqlDataReader reader, ReservationId id, int first) =>
        new(id, ReadLines(reader, first + 3), (ReservationState)reader.GetInt16(first),
            reader.GetFieldValue<DateTimeOffset>(first + 1), reader.GetFieldValue<DateTimeOffset>(first + 2));

    private static ReservedLine[] ReadLines(NpgsqlDataReader reader, int first)
    {
        var skus = reader.GetFieldValue<string[]>(first);
        var locations = reader.GetFieldValue<string[]>(first + 1);
        var quantities = reader.GetFieldValue<long[]>(first + 2);
        var lines = new ReservedLine[skus.Length];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = new ReservedLine(new Sku(skus[i]), new LocationId(locations[i]), quantities[i]);
        }

        return lines;
    }

    private static LineAvailability[] Availability(ReservationCommand command, long?[] available)
    {
        var lines = new LineAvailability[command.Lines.Count];
        for (var i = 0; i < lines.Length; i++)
        {
            var line = command.Lines[i];
            lines[i] = new LineAvailability(line.Sku, line.Location, line.Quantity, available[i] ?? 0);
        }

        return lines;
    }
}
