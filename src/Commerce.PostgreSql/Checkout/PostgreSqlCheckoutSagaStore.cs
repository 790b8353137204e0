using Commerce.Checkout;
using Commerce.Checkout.Storage;
using Commerce.Inventory;
using Commerce.Inventory.Storage;
using Commerce.Ordering;
using Commerce.PostgreSql.Batching;
using Commerce.PostgreSql.Inventory;
using Commerce.PostgreSql.Schema;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.PostgreSql.Checkout;

/// <summary>
/// The checkout saga store on PostgreSQL, for when the inventory and ordering stores are PostgreSQL in the same database
/// and schema. It is an atomic store: each local-step group is one call to a server-side function and one transaction,
/// which calls the inventory and ordering functions themselves, so the semantics are exactly those of the separate
/// stores (stock checks, reservation TTL, movements, order events and outbox rows), and a crash leaves a group either
/// done with its saga write or not done at all.
/// </summary>
/// <remarks>
/// <para><see cref="BeginAsync"/> claims the key, reserves and places the order in one call, and concurrent begins are
/// coalesced into batches exactly as reservations are (a hot SKU gets one stock row update and one commit per batch).
/// <see cref="ConfirmAsync"/> and <see cref="CompensateAsync"/> are one call each; <see cref="UpdateAsync"/> too.</para>
/// <para>Commands are validated and their events decided in C# by the inventory and ordering engines' own code
/// (<see cref="InventoryService"/> and <see cref="OrderService"/> are passed in), so ids, fingerprints and event bodies
/// equal what those services would have written.</para>
/// </remarks>
public sealed partial class PostgreSqlCheckoutSagaStore : ICheckoutSagaStore, IAsyncDisposable
{
    // The checkout functions call the inventory and ordering ones, so those schemas go first.
    private static readonly string[] Scripts = ["inventory", "ordering", "checkout"];

    private readonly NpgsqlDataSource _dataSource;
    private readonly InventoryService _inventory;
    private readonly OrderService _orders;
    private readonly PostgreSqlCheckoutOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Sql _sql;
    private readonly ReservationBatcher _batcher;
    private readonly CallBatcher<StepCall> _steps;

    /// <summary>Creates the store. Call <see cref="MigrateAsync"/> once (or let the DI registration do it) before use.</summary>
    /// <param name="dataSource">The database holding the inventory and ordering tables.</param>
    /// <param name="inventory">The inventory service over the PostgreSQL inventory store in the same schema: it validates reservations.</param>
    /// <param name="orders">The ordering service over the PostgreSQL order store in the same schema: it validates order commands.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="timeProvider">The clock. Default <see cref="TimeProvider.System"/>.</param>
    public PostgreSqlCheckoutSagaStore(
        NpgsqlDataSource dataSource, InventoryService inventory, OrderService orders, PostgreSqlCheckoutOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(orders);
        _dataSource = dataSource;
        _inventory = inventory;
        _orders = orders;
        _options = options ?? new PostgreSqlCheckoutOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _sql = new Sql(_options.Schema);
        _batcher = new ReservationBatcher(ExecuteBeginBatchAsync, _options.MaxBatchSize, _options.MaxConcurrentBatches);
        _steps = new CallBatcher<StepCall>(ExecuteStepsAsync, _options.MaxBatchSize, _options.MaxConcurrentBatches);
    }

    /// <summary>Creates the inventory, ordering and checkout tables and functions if they are missing, or brings them up to date.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        foreach (var script in Scripts)
        {
            await SchemaMigrator.MigrateAsync(_dataSource, SchemaMigrator.LoadScript(script), _options.Schema, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<BeginResult> BeginAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saga);

        // Validated by the engines' own code: a bad line throws here, before anything is queued or written.
        var reservation = _inventory.ValidateReservation(CheckoutSagas.ToReservation(saga));
        var place = CheckoutSagas.ToPlaceOrder(saga);
        var fingerprint = _orders.Validate(place);
        var pending = new BeginRequest(reservation, saga, place, fingerprint);
        await _batcher.EnqueueAsync(pending, cancellationToken).ConfigureAwait(false);
        return pending.Result;
    }

    /// <inheritdoc />
    public async ValueTask<CheckoutSaga?> GetAsync(CheckoutId id, CancellationToken cancellationToken) =>
        await ReadOneAsync(_sql.GetById, id.Value, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<CheckoutSaga?> FindByKeyAsync(IdempotencyKey key, CancellationToken cancellationToken) =>
        await ReadOneAsync(_sql.GetByKey, key.Value, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<CheckoutSaga?> FindByOrderAsync(OrderId orderId, CancellationToken cancellationToken) =>
        await ReadOneAsync(_sql.GetByOrder, orderId.Value, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<CheckoutSaga>> ListDueAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.ListDue);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var due = new List<CheckoutSaga>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            due.Add(CheckoutSagaDocument.Read(reader.GetString(0)));
        }

        return due;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _batcher.DisposeAsync().ConfigureAwait(false);
        await _steps.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask<CheckoutSaga?> ReadOneAsync(string sql, string key, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(Text(key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? CheckoutSagaDocument.Read(reader.GetString(0)) : null;
    }

    /// <summary>The clock, truncated to microseconds as PostgreSQL keeps it.</summary>
    private DateTimeOffset Now()
    {
        var now = _timeProvider.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    private static NpgsqlParameter<string?> NullableText(string? value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter<string> Json(string value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    /// <summary>A begin waiting for its batch: the reservation the batcher coalesces on, plus the saga and the order.</summary>
    private sealed class BeginRequest(ReservationCommand reservation, CheckoutSaga saga, PlaceOrder place, Guid orderFingerprint)
        : ReservationBatcher.Pending(reservation)
    {
        public CheckoutSaga Saga { get; } = saga;

        public PlaceOrder Place { get; } = place;

        public Guid OrderFingerprint { get; } = orderFingerprint;

        /// <summary>Set before the completion is.</summary>
        public BeginResult Result { get; set; }
    }

    /// <summary>The store's SQL, rendered once for the configured schema.</summary>
    private sealed class Sql(string schema)
    {
        public string Begin { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.checkout_begin($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, " +
            "$19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34)", schema);

        public string Step { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.checkout_step($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, " +
            "$19, $20, $21, $22, $23, $24, $25, $26, $27, $28)", schema);

        public string StepMany { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.checkout_step_many(" + string.Join(", ", Enumerable.Range(1, 29).Select(static i => "$" + i)) + ")", schema);

        public string GetById { get; } = SchemaMigrator.Render("SELECT state::text FROM {schema}.checkout_sagas WHERE checkout_id = $1", schema);

        public string GetByKey { get; } = SchemaMigrator.Render("SELECT state::text FROM {schema}.checkout_sagas WHERE idempotency_key = $1", schema);

        public string GetByOrder { get; } = SchemaMigrator.Render(
            "SELECT state::text FROM {schema}.checkout_sagas WHERE order_id = $1 ORDER BY checkout_id LIMIT 1", schema);

        public string ListDue { get; } = SchemaMigrator.Render(
            "SELECT state::text FROM {schema}.checkout_sagas WHERE needs_driving AND lease_expires_at <= $1 " +
            "ORDER BY lease_expires_at, checkout_id LIMIT $2", schema);
    }
}
