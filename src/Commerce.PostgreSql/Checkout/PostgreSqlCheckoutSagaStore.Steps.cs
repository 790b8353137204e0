using Commerce.Checkout;
using Commerce.Checkout.Storage;
using Commerce.Ordering;
using Commerce.PostgreSql.Batching;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.PostgreSql.Checkout;

public sealed partial class PostgreSqlCheckoutSagaStore
{
    private const short Commit = 1;
    private const short Release = 2;

    // How many times a step re-decides its order event after finding the order moved on by someone else.
    private const int MaxOrderRetries = 3;

    /// <inheritdoc />
    public async ValueTask<ConfirmResult> ConfirmAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saga);
        var paid = CheckoutSagas.ToMarkPaid(saga);
        var fingerprint = _orders.Validate(paid);

        // The saga placed the order at version 1 and nobody else has usually touched it since: decide on that order,
        // rebuilt from the saga, and let the function check it. If the order moved on, decide again on the real one.
        var order = PlacedOrder(saga);
        for (var attempt = 0; ; attempt++)
        {
            if (order is not { State: OrderState.AwaitingPayment })
            {
                return new ConfirmResult(ConfirmStatus.OrderUnavailable, await GetAsync(saga.Id, cancellationToken).ConfigureAwait(false));
            }

            var outcome = await StepAsync(saga, Commit, reservationRequired: true, order, paid, fingerprint, cancellationToken).ConfigureAwait(false);
            switch (outcome.Status)
            {
                case 0:
                    return new ConfirmResult(ConfirmStatus.Confirmed, saga);
                case 1:
                    return new ConfirmResult(ConfirmStatus.VersionConflict, outcome.Current);
                case 3:
                    return new ConfirmResult(ConfirmStatus.ReservationLost, outcome.Current);
                case 2 when attempt < MaxOrderRetries && outcome.OrderState == OrderState.AwaitingPayment:
                    order = await _orders.GetAsync(saga.OrderId, cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    return new ConfirmResult(ConfirmStatus.OrderUnavailable, outcome.Current);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<SagaWriteResult> CompensateAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saga);
        var cancel = CheckoutSagas.ToCancelOrder(saga);
        var fingerprint = _orders.Validate(cancel);
        var order = PlacedOrder(saga);
        for (var attempt = 0; ; attempt++)
        {
            // Only an order still waiting for payment is cancelled; one that is gone, cancelled or paid by now is left alone.
            var cancellable = order is { State: OrderState.AwaitingPayment or OrderState.Pending } ? order : null;
            var outcome = await StepAsync(saga, Release, reservationRequired: false, cancellable, cancel, fingerprint, cancellationToken).ConfigureAwait(false);
            switch (outcome.Status)
            {
                case 0:
                    return new SagaWriteResult(SagaWriteStatus.Written, saga);
                case 2 when attempt < MaxOrderRetries:
                    order = await _orders.GetAsync(saga.OrderId, cancellationToken).ConfigureAwait(false);
                    continue;
                case 2:
                    throw new CommerceException(new CommerceError(OrderingErrorCodes.VersionConflict,
                        $"{saga.OrderId} kept changing concurrently; checkout {saga.Id} was not compensated.", "OrderId"));
                default:
                    return new SagaWriteResult(SagaWriteStatus.VersionConflict, outcome.Current);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<SagaWriteResult> UpdateAsync(CheckoutSaga saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saga);
        var outcome = await StepAsync(saga, null, reservationRequired: false, null, null, default, cancellationToken).ConfigureAwait(false);
        return outcome.Status == 0
            ? new SagaWriteResult(SagaWriteStatus.Written, saga)
            : new SagaWriteResult(SagaWriteStatus.VersionConflict, outcome.Current);
    }

    /// <summary>The order as the saga placed it (version 1, awaiting payment), rebuilt without a read.</summary>
    private static Order PlacedOrder(CheckoutSaga saga) => Decide(null, CheckoutSagas.ToPlaceOrder(saga), saga.CreatedAt).Order;

    /// <summary>
    /// One step: the saga write, the reservation's finish and the order event, together, in one transaction. Concurrent
    /// steps of different sagas are coalesced into one call to <c>checkout_step_many</c> (one commit per batch).
    /// </summary>
    private async ValueTask<StepOutcome> StepAsync(
        CheckoutSaga saga, short? reservationTarget, bool reservationRequired, Order? order, OrderCommand? orderCommand, Guid orderFingerprint,
        CancellationToken cancellationToken)
    {
        var now = Now();
        OrderEvent? change = null;
        Order? next = null;
        if (order is not null && orderCommand is not null)
        {
            (change, next) = Decide(order, orderCommand, now);
        }

        var call = new StepCall(saga, reservationTarget, reservationRequired, change, next, orderFingerprint, now);
        await _steps.EnqueueAsync(call, cancellationToken).ConfigureAwait(false);
        return call.Outcome;
    }

    /// <summary>Runs one coalesced batch of steps. Completes every call in it, one way or another.</summary>
    private async Task ExecuteStepsAsync(List<StepCall> batch)
    {
        try
        {
            await StepManyAsync(batch).ConfigureAwait(false);
        }
        catch (PostgresException) when (batch.Count > 1)
        {
            // A step the schema refused undid the whole call: run them one by one, so that only that one fails.
            foreach (var call in batch)
            {
                try
                {
                    call.Outcome = await StepOneAsync(call).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    call.Completion.TrySetException(ex);
                }
            }
        }

        foreach (var call in batch)
        {
            call.Completion.TrySetResult();
        }
    }

    private async Task StepManyAsync(List<StepCall> batch)
    {
        var n = batch.Count;
        var fulfilmentCount = 0;
        foreach (var call in batch)
        {
            fulfilmentCount += call.Next?.Fulfilments.Count ?? 0;
        }

        var nows = new DateTime[n];
        var ids = new string[n];
        var versions = new long[n];
        var steps = new short[n];
        var driving = new bool[n];
        var leases = new DateTime[n];
        var states = new string[n];
        var reservationIds = new string?[n];
        var targets = new short?[n];
        var required = new bool[n];
        var orderIds = new string?[n];
        var orderVersions = new long?[n];
        var commandIds = new string?[n];
        var fingerprints = new Guid?[n];
        var eventIds = new Guid?[n];
        var eventTypes = new string?[n];
        var bodies = new string?[n];
        var orderStates = new short?[n];
        var refunded = new long?[n];
        var refundRequested = new long?[n];
        var paymentIds = new string?[n];
        var fulfilmentCounts = new int[n];
        var sellers = new string[fulfilmentCount];
        var fulfilmentStates = new short[fulfilmentCount];
        var tracking = new string?[fulfilmentCount];
        var shipped = new DateTime?[fulfilmentCount];
        var delivered = new DateTime?[fulfilmentCount];
        var f = 0;
        for (var i = 0; i < n; i++)
        {
            var call = batch[i];
            var saga = call.Saga;
            (nows[i], ids[i], versions[i], steps[i]) = (call.Now.UtcDateTime, saga.Id.Value, saga.Version, (short)saga.Step);
            (driving[i], leases[i], states[i]) = (saga.NeedsDriving, saga.LeaseExpiresAt.UtcDateTime, CheckoutSagaDocument.Write(saga));
            (reservationIds[i], targets[i], required[i]) = (call.ReservationTarget is null ? null : saga.ReservationId.Value, call.ReservationTarget, call.ReservationRequired);
            if (call.Change is { } change && call.Next is { } next)
            {
                (orderIds[i], orderVersions[i], commandIds[i], fingerprints[i]) = (change.OrderId.Value, change.Version, change.CommandId.Value, call.OrderFingerprint);
                (eventIds[i], eventTypes[i], bodies[i]) = (change.EventId, change.TypeName, OrderEventSerializer.SerializeToString(change));
                (orderStates[i], refunded[i], refundRequested[i], paymentIds[i]) = ((short)next.State, next.Refunded.MinorUnits, next.RefundRequested?.MinorUnits, next.PaymentId?.Value);
                fulfilmentCounts[i] = next.Fulfilments.Count;
                foreach (var fulfilment in next.Fulfilments)
                {
                    (sellers[f], fulfilmentStates[f], tracking[f]) = (fulfilment.Seller.Value, (short)fulfilment.State, fulfilment.TrackingNumber);
                    (shipped[f], delivered[f]) = (fulfilment.ShippedAt?.UtcDateTime, fulfilment.DeliveredAt?.UtcDateTime);
                    f++;
                }
            }
        }

        await using var command = _dataSource.CreateCommand(_sql.StepMany);
        var p = command.Parameters;
        p.Add(Times(nows));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = versions });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = steps });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = driving });
        p.Add(Times(leases));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = states, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(TextArray(reservationIds));
        p.Add(new NpgsqlParameter<short?[]> { TypedValue = targets, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = required });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });
        p.Add(TextArray(orderIds));
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = orderVersions, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        p.Add(TextArray(commandIds));
        p.Add(new NpgsqlParameter<Guid?[]> { TypedValue = fingerprints, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        p.Add(new NpgsqlParameter<Guid?[]> { TypedValue = eventIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        p.Add(TextArray(eventTypes));
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = bodies, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<short?[]> { TypedValue = orderStates, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = refunded, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = refundRequested, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        p.Add(TextArray(paymentIds));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = fulfilmentCounts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = sellers });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = fulfilmentStates });
        p.Add(TextArray(tracking));
        p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = shipped, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = delivered, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });

        var outcomes = new StepOutcome[n];
        await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                outcomes[reader.GetInt32(0) - 1] = ReadOutcome(reader, 1);
            }
        }

        // Handed out only after the reader is closed, so continuations never wait on this connection.
        for (var i = 0; i < n; i++)
        {
            batch[i].Outcome = outcomes[i];
        }
    }

    /// <summary>One call to <c>checkout_step</c>, its own transaction.</summary>
    private async Task<StepOutcome> StepOneAsync(StepCall call)
    {
        var (saga, change, next) = (call.Saga, call.Change, call.Next);
        var fulfilments = next?.Fulfilments ?? [];
        var sellers = new string[fulfilments.Count];
        var states = new short[fulfilments.Count];
        var tracking = new string?[fulfilments.Count];
        var shipped = new DateTime?[fulfilments.Count];
        var delivered = new DateTime?[fulfilments.Count];
        for (var i = 0; i < fulfilments.Count; i++)
        {
            var f = fulfilments[i];
            (sellers[i], states[i], tracking[i]) = (f.Seller.Value, (short)f.State, f.TrackingNumber);
            (shipped[i], delivered[i]) = (f.ShippedAt?.UtcDateTime, f.DeliveredAt?.UtcDateTime);
        }

        await using var command = _dataSource.CreateCommand(_sql.Step);
        var p = command.Parameters;
        p.Add(Time(call.Now));
        p.Add(Text(saga.Id.Value));
        p.Add(new NpgsqlParameter<long> { TypedValue = saga.Version });
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)saga.Step });
        p.Add(new NpgsqlParameter<bool> { TypedValue = saga.NeedsDriving });
        p.Add(Time(saga.LeaseExpiresAt));
        p.Add(Json(CheckoutSagaDocument.Write(saga)));
        p.Add(NullableText(call.ReservationTarget is null ? null : saga.ReservationId.Value));
        p.Add(new NpgsqlParameter<short?> { TypedValue = call.ReservationTarget, NpgsqlDbType = NpgsqlDbType.Smallint });
        p.Add(new NpgsqlParameter<bool> { TypedValue = call.ReservationRequired });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });
        p.Add(NullableText(change?.OrderId.Value));
        p.Add(new NpgsqlParameter<long?> { TypedValue = change?.Version, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(NullableText(change?.CommandId.Value));
        p.Add(new NpgsqlParameter<Guid?> { TypedValue = change is null ? null : call.OrderFingerprint, NpgsqlDbType = NpgsqlDbType.Uuid });
        p.Add(new NpgsqlParameter<Guid?> { TypedValue = change?.EventId, NpgsqlDbType = NpgsqlDbType.Uuid });
        p.Add(NullableText(change?.TypeName));
        p.Add(new NpgsqlParameter<string?> { TypedValue = change is null ? null : OrderEventSerializer.SerializeToString(change), NpgsqlDbType = NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<short?> { TypedValue = next is null ? null : (short)next.State, NpgsqlDbType = NpgsqlDbType.Smallint });
        p.Add(new NpgsqlParameter<long?> { TypedValue = next?.Refunded.MinorUnits, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(new NpgsqlParameter<long?> { TypedValue = next?.RefundRequested?.MinorUnits, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(NullableText(next?.PaymentId?.Value));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = sellers });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = states });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = tracking, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = shipped, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = delivered, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });

        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
        await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        return ReadOutcome(reader, 0);
    }

    /// <summary>Reads checkout_step's (status, state, order version, order state) from <paramref name="first"/> on.</summary>
    private static StepOutcome ReadOutcome(NpgsqlDataReader reader, int first)
    {
        var status = reader.GetInt16(first);
        var current = reader.IsDBNull(first + 1) ? null : CheckoutSagaDocument.Read(reader.GetString(first + 1));
        OrderState? orderState = reader.IsDBNull(first + 3) ? null : (OrderState)reader.GetInt16(first + 3);
        return new StepOutcome(status, current, orderState);
    }

    private static NpgsqlParameter<string?[]> TextArray(string?[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    /// <summary>
    /// A step waiting for its batch. Its saga, order and reservation are its own rows; the stock rows of its SKUs are
    /// shared with the other steps of the batch (one update each per batch), never with another batch in flight.
    /// </summary>
    private sealed class StepCall(
        CheckoutSaga saga, short? reservationTarget, bool reservationRequired, OrderEvent? change, Order? next, Guid orderFingerprint, DateTimeOffset now)
        : BatchedCall(OwnRows(saga, reservationTarget, change), StockRows(saga, reservationTarget))
    {
        public CheckoutSaga Saga { get; } = saga;

        public short? ReservationTarget { get; } = reservationTarget;

        public bool ReservationRequired { get; } = reservationRequired;

        public OrderEvent? Change { get; } = change;

        public Order? Next { get; } = next;

        public Guid OrderFingerprint { get; } = orderFingerprint;

        public DateTimeOffset Now { get; } = now;

        /// <summary>Set before the completion is.</summary>
        public StepOutcome Outcome { get; set; }

        private static string[] OwnRows(CheckoutSaga saga, short? reservationTarget, OrderEvent? change)
        {
            var keys = new List<string>(3) { "s:" + saga.Id.Value };
            if (change is not null)
            {
                keys.Add("o:" + change.OrderId.Value);
            }

            if (reservationTarget is not null)
            {
                keys.Add("r:" + saga.ReservationId.Value);
            }

            return [.. keys];
        }

        private static string[]? StockRows(CheckoutSaga saga, short? reservationTarget)
        {
            if (reservationTarget is null)
            {
                return null;
            }

            // One key per SKU, whatever the location: at worst two locations of a SKU wait for each other.
            var keys = new string[saga.Lines.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = "i:" + saga.Lines[i].Sku.Value;
            }

            return keys;
        }
    }

    /// <summary>What <c>checkout_step</c> answered: its status, the stored saga when refused, and where the order is on status 2.</summary>
    private readonly record struct StepOutcome(short Status, CheckoutSaga? Current, OrderState? OrderState);
}
