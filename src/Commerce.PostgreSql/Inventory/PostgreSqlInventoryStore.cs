using System.Runtime.CompilerServices;
using Commerce.Events;
using Commerce.Inventory;
using Commerce.Inventory.Storage;
using Commerce.PostgreSql.Schema;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.PostgreSql.Inventory;

/// <summary>
/// The inventory store on PostgreSQL, the source of truth. Every operation is one round trip to a server-side
/// function that locks the stock rows it needs in (sku, location) order, checks and writes in one transaction, and
/// appends the movements and the outbox event in that same transaction. Concurrent reservations are coalesced into
/// batches (see <see cref="PostgreSqlInventoryOptions.MaxBatchSize"/>), so a hot SKU takes one row update per batch.
/// </summary>
public sealed partial class PostgreSqlInventoryStore : IInventoryStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlInventoryOptions _options;
    private readonly Sql _sql;
    private readonly ReservationBatcher _batcher;

    /// <summary>Creates the store. Call <see cref="MigrateAsync"/> once (or let the DI registration do it) before use.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="timeProvider">The clock the outbox schedules retries and leases with. Default <see cref="TimeProvider.System"/>.</param>
    public PostgreSqlInventoryStore(NpgsqlDataSource dataSource, PostgreSqlInventoryOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _options = options ?? new PostgreSqlInventoryOptions();
        _sql = new Sql(_options.Schema);
        _batcher = new ReservationBatcher(ExecuteBatchAsync, _options.MaxBatchSize, _options.MaxConcurrentBatches);
        Outbox = new PostgreSqlOutbox(dataSource, _options.Schema, "inventory_outbox", timeProvider);
    }

    /// <summary>The outbox the store writes its events to.</summary>
    public IOutboxStore Outbox { get; }

    /// <summary>The database; the checkout store writes its sagas beside the stock.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Creates the schema, tables and functions if they are missing, or brings them up to date.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken = default) =>
        SchemaMigrator.MigrateAsync(_dataSource, SchemaMigrator.LoadScript("inventory"), _options.Schema, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<StockLevel?> GetStockAsync(Sku sku, LocationId location, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.GetStock);
        command.Parameters.Add(Text(sku.Value));
        command.Parameters.Add(Text(location.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new StockLevel(sku, location, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2))
            : null;
    }

    /// <inheritdoc />
    public async ValueTask<StockLevel> SetBackorderLimitAsync(Sku sku, LocationId location, long limit, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.SetBackorderLimit);
        command.Parameters.Add(Text(sku.Value));
        command.Parameters.Add(Text(location.Value));
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new CommerceValidationException(InventoryErrorCodes.UnknownSku, $"{sku} has no stock record at {location}.", "Sku");
        }

        return new StockLevel(sku, location, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <inheritdoc />
    public async ValueTask<StockChangeResult> ApplyStockChangeAsync(StockChange change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await ChangeStockOnceAsync(change, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == "CE401")
            {
                throw new CommerceValidationException(InventoryErrorCodes.InvalidAdjustment, ex.MessageText, "Quantity");
            }
            catch (PostgresException ex) when (ex.SqlState == "CE409" && attempt < 3)
            {
                // A concurrent change with the same key won; the next attempt answers as its replay.
            }
        }
    }

    private async ValueTask<StockChangeResult> ChangeStockOnceAsync(StockChange change, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.ChangeStock);
        var p = command.Parameters;
        p.Add(Time(change.Now));
        p.Add(Text(change.IdempotencyKey.Value));
        p.Add(new NpgsqlParameter<Guid> { TypedValue = change.Fingerprint });
        p.Add(Text(change.Sku.Value));
        p.Add(Text(change.Location.Value));
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)change.Kind });
        p.Add(new NpgsqlParameter<long> { TypedValue = change.Quantity });
        p.Add(Text(change.Reason));
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var status = reader.GetInt16(0);
        if (status == 2)
        {
            throw new CommerceValidationException(InventoryErrorCodes.IdempotencyKeyReused,
                $"Idempotency key '{change.IdempotencyKey}' was already used for a different stock change.", "IdempotencyKey");
        }

        var level = new StockLevel(change.Sku, change.Location, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        if (status == 1)
        {
            // The stored level is the one after the first change; its SKU and location are the fingerprinted ones.
            return new StockChangeResult(level, IsReplay: true);
        }

        return new StockChangeResult(level, IsReplay: false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StockMovement> ReadMovementsAsync(Sku sku, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.ReadMovements);
        command.Parameters.Add(Text(sku.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StockMovement(
                reader.GetInt64(0),
                sku,
                new LocationId(reader.GetString(1)),
                (StockMovementKind)reader.GetInt16(2),
                reader.GetInt64(3),
                reader.GetInt64(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.GetFieldValue<DateTimeOffset>(7));
        }
    }

    /// <summary>Stops the reservation batcher after the batches in flight complete.</summary>
    public ValueTask DisposeAsync() => _batcher.DisposeAsync();

    internal static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    internal static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    /// <summary>The store's SQL, rendered once for the configured schema.</summary>
    private sealed class Sql(string schema)
    {
        public string GetStock { get; } = SchemaMigrator.Render(
            "SELECT on_hand, reserved, backorder_limit FROM {schema}.inventory_stock WHERE sku = $1 AND location = $2", schema);

        public string SetBackorderLimit { get; } = SchemaMigrator.Render(
            "UPDATE {schema}.inventory_stock SET backorder_limit = $3 WHERE sku = $1 AND location = $2 RETURNING on_hand, reserved, backorder_limit", schema);

        public string ChangeStock { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.inventory_change_stock($1, $2, $3, $4, $5, $6, $7, $8, $9)", schema);

        public string ReadMovements { get; } = SchemaMigrator.Render(
            "SELECT seq, location, kind, on_hand_delta, reserved_delta, reason, reference, occurred_at FROM {schema}.inventory_movements WHERE sku = $1 ORDER BY seq", schema);

        public string Reserve { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.inventory_reserve($1, $2, $3, $4, $5, $6, $7, $8, $9)", schema);

        public string Finish { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.inventory_finish($1, $2, $3, $4)", schema);

        public string Extend { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.inventory_extend($1, $2, $3)", schema);

        public string Expire { get; } = SchemaMigrator.Render(
            "SELECT {schema}.inventory_expire($1, $2, $3)", schema);

        public string Reap { get; } = SchemaMigrator.Render(
            "SELECT {schema}.inventory_reap($1, $2)", schema);

        public string GetReservation { get; } = SchemaMigrator.Render(
            "SELECT state, created_at, expires_at, skus, locations, quantities FROM {schema}.inventory_reservations WHERE id = $1", schema);
    }
}
