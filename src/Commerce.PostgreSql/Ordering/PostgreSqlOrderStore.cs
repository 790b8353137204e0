using Commerce.Events;
using Commerce.Ordering;
using Commerce.Ordering.Storage;
using Commerce.PostgreSql.Schema;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.PostgreSql.Ordering;

/// <summary>
/// The order store on PostgreSQL, the source of truth. A command costs two round trips: one consistent read (the
/// order, its fulfilments and whether the command id was already applied, in one statement) and one call to a
/// server-side function that writes the order conditionally on its version, its fulfilments, the event and the outbox
/// message in one transaction. Every table has the order id in its primary key.
/// </summary>
public sealed class PostgreSqlOrderStore : IOrderStore
{
    private const string OrderColumns =
        "o.order_id, o.buyer_id, o.currency, o.state, o.version, o.placed_at, o.updated_at, o.shipping, o.tax, o.refunded, " +
        "o.refund_requested, o.payment_id, o.skus, o.sellers, o.quantities, o.unit_prices, " +
        "f.sellers, f.states, f.tracking, f.shipped, f.delivered";

    private const string FulfilmentsOf =
        "CROSS JOIN LATERAL (SELECT array_agg(x.seller_id ORDER BY x.seller_id) AS sellers, array_agg(x.state ORDER BY x.seller_id) AS states, " +
        "array_agg(x.tracking_number ORDER BY x.seller_id) AS tracking, array_agg(x.shipped_at ORDER BY x.seller_id) AS shipped, " +
        "array_agg(x.delivered_at ORDER BY x.seller_id) AS delivered FROM {schema}.ordering_fulfilments x WHERE x.order_id = o.order_id) f";

    private const int OrderColumnCount = 21;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlOrderingOptions _options;
    private readonly Sql _sql;

    /// <summary>Creates the store. Call <see cref="MigrateAsync"/> once (or let the DI registration do it) before use.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="timeProvider">The clock the outbox schedules retries and leases with. Default <see cref="TimeProvider.System"/>.</param>
    public PostgreSqlOrderStore(NpgsqlDataSource dataSource, PostgreSqlOrderingOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _options = options ?? new PostgreSqlOrderingOptions();
        _sql = new Sql(_options.Schema);
        Outbox = new PostgreSqlOutbox(dataSource, _options.Schema, "ordering_outbox", timeProvider);
    }

    /// <summary>The outbox the store writes its events to.</summary>
    public IOutboxStore Outbox { get; }

    /// <summary>The database (the checkout store checks it shares it).</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Creates the schema, tables and functions if they are missing, or brings them up to date.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken = default) =>
        SchemaMigrator.MigrateAsync(_dataSource, SchemaMigrator.LoadScript("ordering"), _options.Schema, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<LoadedOrder> LoadAsync(OrderId orderId, CommandId commandId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.Load);
        command.Parameters.Add(Text(orderId.Value));
        command.Parameters.Add(Text(commandId.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return default;
        }

        var order = ReadOrder(reader);
        RecordedCommand? recorded = reader.IsDBNull(OrderColumnCount)
            ? null
            : new RecordedCommand(reader.GetInt64(OrderColumnCount), reader.GetGuid(OrderColumnCount + 1));
        return new LoadedOrder(order, recorded);
    }

    /// <inheritdoc />
    public async ValueTask<AppendResult> AppendAsync(OrderAppend append, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(append);
        var change = append.Event;
        var order = append.Order;
        var placed = change.Version == 1;
        var fulfilments = order.Fulfilments;
        var sellers = new string[fulfilments.Count];
        var states = new short[fulfilments.Count];
        var tracking = new string?[fulfilments.Count];
        var shipped = new DateTime?[fulfilments.Count];
        var delivered = new DateTime?[fulfilments.Count];
        for (var i = 0; i < fulfilments.Count; i++)
        {
            var f = fulfilments[i];
            sellers[i] = f.Seller.Value;
            states[i] = (short)f.State;
            tracking[i] = f.TrackingNumber;
            shipped[i] = f.ShippedAt?.UtcDateTime;
            delivered[i] = f.DeliveredAt?.UtcDateTime;
        }

        await using var command = _dataSource.CreateCommand(_sql.Append);
        var p = command.Parameters;
        p.Add(Text(change.OrderId.Value));
        p.Add(new NpgsqlParameter<long> { TypedValue = change.Version });
        p.Add(Text(change.CommandId.Value));
        p.Add(new NpgsqlParameter<Guid> { TypedValue = append.Fingerprint });
        p.Add(new NpgsqlParameter<Guid> { TypedValue = change.EventId });
        p.Add(Text(change.TypeName));
        p.Add(Time(change.OccurredAt));
        p.Add(new NpgsqlParameter<string> { TypedValue = OrderEventSerializer.SerializeToString(change), NpgsqlDbType = NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)order.State });
        p.Add(new NpgsqlParameter<long> { TypedValue = order.Refunded.MinorUnits });
        p.Add(new NpgsqlParameter<long?> { TypedValue = order.RefundRequested?.MinorUnits, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter<string?> { TypedValue = order.PaymentId?.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = sellers });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = states });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = tracking, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = shipped, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = delivered, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        AddPlacement(p, placed ? order : null);
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetInt16(0) switch
        {
            0 => new AppendResult(AppendStatus.Appended),
            2 => new AppendResult(AppendStatus.CommandRecorded, new RecordedCommand(reader.GetInt64(1), reader.GetGuid(2))),
            _ => new AppendResult(AppendStatus.VersionConflict),
        };
    }

    /// <inheritdoc />
    public async ValueTask<Order?> GetAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.Get);
        command.Parameters.Add(Text(orderId.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadOrder(reader) : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<OrderEvent>> ReadHistoryAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.History);
        command.Parameters.Add(Text(orderId.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var history = new List<OrderEvent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            history.Add(OrderEventSerializer.Deserialize(reader.GetString(0)));
        }

        return history;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Order>> ListByBuyerAsync(BuyerId buyer, OrderCursor? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(after is null ? _sql.ByBuyer : _sql.ByBuyerAfter);
        command.Parameters.Add(Text(buyer.Value));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        AddCursor(command.Parameters, after);
        return await ReadOrdersAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Order>> ListBySellerAsync(SellerId seller, OrderState? state, OrderCursor? after, int limit, CancellationToken cancellationToken)
    {
        var sql = (state is null, after is null) switch
        {
            (true, true) => _sql.BySeller,
            (true, false) => _sql.BySellerAfter,
            (false, true) => _sql.BySellerInState,
            (false, false) => _sql.BySellerInStateAfter,
        };
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(Text(seller.Value));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        AddCursor(command.Parameters, after);
        if (state is { } s)
        {
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)s });
        }

        return await ReadOrdersAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static void AddPlacement(NpgsqlParameterCollection p, Order? placed)
    {
        var lines = placed?.Lines;
        string[]? skus = null, sellers = null;
        long[]? quantities = null, prices = null;
        if (lines is not null)
        {
            skus = new string[lines.Count];
            sellers = new string[lines.Count];
            quantities = new long[lines.Count];
            prices = new long[lines.Count];
            for (var i = 0; i < lines.Count; i++)
            {
                (skus[i], sellers[i], quantities[i], prices[i]) = (lines[i].Sku.Value, lines[i].Seller.Value, lines[i].Quantity, lines[i].UnitPrice.MinorUnits);
            }
        }

        p.Add(new NpgsqlParameter<string?> { TypedValue = placed?.Buyer.Value, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string?> { TypedValue = placed?.Currency.Code, NpgsqlDbType = NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<long?> { TypedValue = placed?.Shipping.MinorUnits, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter<long?> { TypedValue = placed?.Tax.MinorUnits, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter<string[]?> { TypedValue = skus, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string[]?> { TypedValue = sellers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<long[]?> { TypedValue = quantities, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter<long[]?> { TypedValue = prices, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
    }

    private static void AddCursor(NpgsqlParameterCollection p, OrderCursor? after)
    {
        if (after is { } cursor)
        {
            p.Add(Time(cursor.PlacedAt));
            p.Add(Text(cursor.OrderId.Value));
        }
    }

    private static async ValueTask<IReadOnlyList<Order>> ReadOrdersAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var orders = new List<Order>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            orders.Add(ReadOrder(reader));
        }

        return orders;
    }

    private static Order ReadOrder(NpgsqlDataReader reader)
    {
        var currency = Currency.FromCode(reader.GetString(2));
        var skus = reader.GetFieldValue<string[]>(12);
        var lineSellers = reader.GetFieldValue<string[]>(13);
        var quantities = reader.GetFieldValue<long[]>(14);
        var prices = reader.GetFieldValue<long[]>(15);
        var lines = new OrderLine[skus.Length];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = new OrderLine(new Sku(skus[i]), new SellerId(lineSellers[i]), quantities[i], new Money(prices[i], currency));
        }

        var sellers = reader.GetFieldValue<string[]>(16);
        var states = reader.GetFieldValue<short[]>(17);
        var tracking = reader.GetFieldValue<string?[]>(18);
        var shipped = reader.GetFieldValue<DateTimeOffset?[]>(19);
        var delivered = reader.GetFieldValue<DateTimeOffset?[]>(20);
        var fulfilments = new Fulfilment[sellers.Length];
        for (var i = 0; i < fulfilments.Length; i++)
        {
            fulfilments[i] = new Fulfilment(new SellerId(sellers[i]), (FulfilmentState)states[i], tracking[i], shipped[i], delivered[i]);
        }

        return new Order(
            new OrderId(reader.GetString(0)),
            new BuyerId(reader.GetString(1)),
            currency,
            lines,
            new Money(reader.GetInt64(7), currency),
            new Money(reader.GetInt64(8), currency),
            (OrderState)reader.GetInt16(3),
            fulfilments,
            reader.GetInt64(4),
            reader.GetFieldValue<DateTimeOffset>(5),
            reader.GetFieldValue<DateTimeOffset>(6),
            new Money(reader.GetInt64(9), currency),
            reader.IsDBNull(10) ? null : new Money(reader.GetInt64(10), currency),
            reader.IsDBNull(11) ? null : new PaymentId(reader.GetString(11)));
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    /// <summary>The store's SQL, rendered once for the configured schema.</summary>
    private sealed class Sql(string schema)
    {
        private const string ByBuyerBase = $"SELECT {OrderColumns} FROM {{schema}}.ordering_orders o {FulfilmentsOf} WHERE o.buyer_id = $1";

        private const string BySellerBase =
            $"SELECT {OrderColumns} FROM {{schema}}.ordering_fulfilments s JOIN {{schema}}.ordering_orders o ON o.order_id = s.order_id {FulfilmentsOf} WHERE s.seller_id = $1";

        public string Load { get; } = SchemaMigrator.Render(
            $"SELECT {OrderColumns}, c.version, c.fingerprint FROM {{schema}}.ordering_orders o {FulfilmentsOf} " +
            "LEFT JOIN {schema}.ordering_events c ON c.order_id = o.order_id AND c.command_id = $2 WHERE o.order_id = $1", schema);

        public string Get { get; } = SchemaMigrator.Render(
            $"SELECT {OrderColumns} FROM {{schema}}.ordering_orders o {FulfilmentsOf} WHERE o.order_id = $1", schema);

        public string Append { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.ordering_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)", schema);

        public string History { get; } = SchemaMigrator.Render(
            "SELECT body::text FROM {schema}.ordering_events WHERE order_id = $1 ORDER BY version", schema);

        public string ByBuyer { get; } = SchemaMigrator.Render(
            $"{ByBuyerBase} ORDER BY o.placed_at DESC, o.order_id DESC LIMIT $2", schema);

        public string ByBuyerAfter { get; } = SchemaMigrator.Render(
            $"{ByBuyerBase} AND (o.placed_at, o.order_id) < ($3, $4) ORDER BY o.placed_at DESC, o.order_id DESC LIMIT $2", schema);

        public string BySeller { get; } = SchemaMigrator.Render(
            $"{BySellerBase} ORDER BY s.placed_at DESC, s.order_id DESC LIMIT $2", schema);

        public string BySellerAfter { get; } = SchemaMigrator.Render(
            $"{BySellerBase} AND (s.placed_at, s.order_id) < ($3, $4) ORDER BY s.placed_at DESC, s.order_id DESC LIMIT $2", schema);

        public string BySellerInState { get; } = SchemaMigrator.Render(
            $"{BySellerBase} AND s.order_state = $3 ORDER BY s.placed_at DESC, s.order_id DESC LIMIT $2", schema);

        public string BySellerInStateAfter { get; } = SchemaMigrator.Render(
            $"{BySellerBase} AND s.order_state = $5 AND (s.placed_at, s.order_id) < ($3, $4) ORDER BY s.placed_at DESC, s.order_id DESC LIMIT $2", schema);
    }
}
