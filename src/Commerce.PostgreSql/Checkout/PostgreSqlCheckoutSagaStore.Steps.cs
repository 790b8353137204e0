using Commerce.Checkout;
using Commerce.Checkout.Storage;
using Commerce.Ordering;
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

    /// <summary>One call to <c>checkout_step</c>: the saga write, the reservation's finish and the order event, together.</summary>
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
        p.Add(Time(now));
        p.Add(Text(saga.Id.Value));
        p.Add(new NpgsqlParameter<long> { TypedValue = saga.Version });
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)saga.Step });
        p.Add(new NpgsqlParameter<bool> { TypedValue = saga.NeedsDriving });
        p.Add(Time(saga.LeaseExpiresAt));
        p.Add(Json(CheckoutSagaDocument.Write(saga)));
        p.Add(NullableText(reservationTarget is null ? null : saga.ReservationId.Value));
        p.Add(new NpgsqlParameter<short?> { TypedValue = reservationTarget, NpgsqlDbType = NpgsqlDbType.Smallint });
        p.Add(new NpgsqlParameter<bool> { TypedValue = reservationRequired });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });
        p.Add(NullableText(change?.OrderId.Value));
        p.Add(new NpgsqlParameter<long?> { TypedValue = change?.Version, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(NullableText(change?.CommandId.Value));
        p.Add(new NpgsqlParameter<Guid?> { TypedValue = change is null ? null : orderFingerprint, NpgsqlDbType = NpgsqlDbType.Uuid });
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

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var status = reader.GetInt16(0);
        var current = reader.IsDBNull(1) ? null : CheckoutSagaDocument.Read(reader.GetString(1));
        OrderState? orderState = reader.IsDBNull(3) ? null : (OrderState)reader.GetInt16(3);
        return new StepOutcome(status, current, orderState);
    }

    /// <summary>What <c>checkout_step</c> answered: its status, the stored saga when refused, and where the order is on status 2.</summary>
    private readonly record struct StepOutcome(short Status, CheckoutSaga? Current, OrderState? OrderState);
}
