using Commerce.Checkout;
using Commerce.Checkout.Storage;
using Commerce.Events;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.PostgreSql.Inventory;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.PostgreSql.Checkout;

public sealed partial class PostgreSqlCheckoutSagaStore
{
    /// <summary>Runs one coalesced batch of begins. Completes every request in it, one way or another.</summary>
    private async Task ExecuteBeginBatchAsync(IReadOnlyList<ReservationBatcher.Pending> batch, CancellationToken cancellationToken)
    {
        // The function needs distinct keys and checkout ids within a call; copies go in a call of their own afterwards
        // (and then find the first one's saga).
        List<BeginRequest>? copies = null;
        var first = new List<BeginRequest>(batch.Count);
        var keys = new HashSet<IdempotencyKey>();
        var ids = new HashSet<CheckoutId>();
        foreach (var pending in batch)
        {
            var request = (BeginRequest)pending;
            if (keys.Add(request.Saga.IdempotencyKey) & ids.Add(request.Saga.Id))
            {
                first.Add(request);
            }
            else
            {
                (copies ??= []).Add(request);
            }
        }

        await RunAsync(first, cancellationToken).ConfigureAwait(false);
        if (copies is not null)
        {
            foreach (var copy in copies)
            {
                await RunAsync([copy], cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(List<BeginRequest> requests, CancellationToken cancellationToken)
    {
        try
        {
            await BeginBatchOnceAsync(requests, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (requests.Count > 1 && ex.SqlState is "CE506" or "CE509")
        {
            // One request's order or reservation id is somebody else's; the whole call was undone. Run them one by
            // one so that only that request fails.
            foreach (var request in requests)
            {
                await RunAsync([request], cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == "CE506")
        {
            Fail(requests[0], new CommerceValidationException(InventoryErrorCodes.IdempotencyKeyReused,
                $"Reservation id '{requests[0].Command.Id}' was already used for a different request.", "ReservationId"));
        }
        catch (PostgresException ex) when (ex.SqlState == "CE509")
        {
            Fail(requests[0], OrderExists(requests[0].Saga));
        }
        catch (Exception ex)
        {
            foreach (var request in requests)
            {
                Fail(request, ex);
            }
        }
    }

    private async Task BeginBatchOnceAsync(List<BeginRequest> requests, CancellationToken cancellationToken)
    {
        var count = requests.Count;
        var now = Now();
        int lineCount = 0, orderLineCount = 0, fulfilmentCount = 0;
        var placements = new (OrderEvent Event, Order Order)[count];
        for (var i = 0; i < count; i++)
        {
            var request = requests[i];
            lineCount += request.Command.Lines.Count;
            orderLineCount += request.Place.Lines.Count;
            placements[i] = Decide(null, request.Place, now);
            fulfilmentCount += placements[i].Order.Fulfilments.Count;
        }

        var checkoutIds = new string[count];
        var keys = new string[count];
        var states = new string[count];
        var leases = new DateTime[count];
        var reservationIds = new string[count];
        var reservationFingerprints = new Guid[count];
        var expires = new DateTime[count];
        var lineCounts = new int[count];
        var skus = new string[lineCount];
        var locations = new string[lineCount];
        var quantities = new long[lineCount];
        var orderIds = new string[count];
        var orderFingerprints = new Guid[count];
        var eventIds = new Guid[count];
        var bodies = new string[count];
        var buyers = new string[count];
        var currencies = new string[count];
        var shipping = new long[count];
        var tax = new long[count];
        var orderLineCounts = new int[count];
        var orderSkus = new string[orderLineCount];
        var orderSellers = new string[orderLineCount];
        var orderQuantities = new long[orderLineCount];
        var orderPrices = new long[orderLineCount];
        var fulfilmentCounts = new int[count];
        var fulfilmentSellers = new string[fulfilmentCount];
        var fulfilmentStates = new short[fulfilmentCount];
        int line = 0, orderLine = 0, fulfilment = 0;
        for (var i = 0; i < count; i++)
        {
            var request = requests[i];
            var saga = request.Saga;
            var reservation = request.Command;
            checkoutIds[i] = saga.Id.Value;
            keys[i] = saga.IdempotencyKey.Value;
            states[i] = CheckoutSagaDocument.Write(saga);
            leases[i] = saga.LeaseExpiresAt.UtcDateTime;
            reservationIds[i] = reservation.Id.Value;
            reservationFingerprints[i] = reservation.Fingerprint;
            expires[i] = reservation.ExpiresAt.UtcDateTime;
            lineCounts[i] = reservation.Lines.Count;
            foreach (var l in reservation.Lines)
            {
                (skus[line], locations[line], quantities[line]) = (l.Sku.Value, l.Location.Value, l.Quantity);
                line++;
            }

            var (placed, order) = placements[i];
            orderIds[i] = order.Id.Value;
            orderFingerprints[i] = request.OrderFingerprint;
            eventIds[i] = placed.EventId;
            bodies[i] = OrderEventSerializer.SerializeToString(placed);
            buyers[i] = order.Buyer.Value;
            currencies[i] = order.Currency.Code;
            shipping[i] = order.Shipping.MinorUnits;
            tax[i] = order.Tax.MinorUnits;
            orderLineCounts[i] = order.Lines.Count;
            foreach (var l in order.Lines)
            {
                (orderSkus[orderLine], orderSellers[orderLine], orderQuantities[orderLine], orderPrices[orderLine]) =
                    (l.Sku.Value, l.Seller.Value, l.Quantity, l.UnitPrice.MinorUnits);
                orderLine++;
            }

            fulfilmentCounts[i] = order.Fulfilments.Count;
            foreach (var f in order.Fulfilments)
            {
                (fulfilmentSellers[fulfilment], fulfilmentStates[fulfilment]) = (f.Seller.Value, (short)f.State);
                fulfilment++;
            }
        }

        await using var command = _dataSource.CreateCommand(_sql.Begin);
        var p = command.Parameters;
        p.Add(Time(now));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = checkoutIds });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = states, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(Times(leases));
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)CheckoutStep.OrderPlaced });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = reservationIds });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = reservationFingerprints });
        p.Add(Times(expires));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = lineCounts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = skus });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = locations });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = quantities });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = orderIds });
        p.Add(Text(CheckoutSagas.PlaceCommandId.Value));
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = orderFingerprints });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = eventIds });
        p.Add(Text(OrderEventTypes.Placed));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = bodies, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<short> { TypedValue = (short)OrderState.AwaitingPayment });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = buyers });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = currencies });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = shipping });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = tax });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = orderLineCounts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = orderSkus });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = orderSellers });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = orderQuantities });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = orderPrices });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = fulfilmentCounts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = fulfilmentSellers });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = fulfilmentStates });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.RecordEvents });

        var errors = new Exception?[count];
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var index = reader.GetInt32(0) - 1;
                var request = requests[index];
                switch (reader.GetInt16(1))
                {
                    case 0:
                        request.Result = new BeginResult(BeginStatus.Begun, request.Saga);
                        break;
                    case 1:
                        request.Result = new BeginResult(BeginStatus.Existing, CheckoutSagaDocument.Read(reader.GetString(2)));
                        break;
                    case 3:
                        var unknown = reader.GetFieldValue<long?[]>(3);
                        var ghost = request.Command.Lines[Array.IndexOf(unknown, null)];
                        errors[index] = new CommerceValidationException(InventoryErrorCodes.UnknownSku,
                            $"{ghost.Sku} has no stock record at {ghost.Location}.", "Sku");
                        break;
                    case 4:
                        request.Result = new BeginResult(BeginStatus.InsufficientStock, null, Availability(request, reader.GetFieldValue<long?[]>(3)));
                        break;
                    case 5:
                        errors[index] = OrderExists(request.Saga);
                        break;
                    default:
                        errors[index] = new CommerceException(new CommerceError(CheckoutErrorCodes.IdempotencyKeyReused,
                            $"Checkout id '{request.Saga.Id}' is already used by a checkout with another idempotency key.", "Id"));
                        break;
                }
            }
        }

        // Results are handed out only after the reader is closed, so continuations never wait on this connection.
        for (var i = 0; i < count; i++)
        {
            if (errors[i] is { } error)
            {
                Fail(requests[i], error);
            }
            else
            {
                requests[i].Completion.TrySetResult(default);
            }
        }
    }

    /// <summary>The event a command records on an order and the order after it, decided by the ordering engine's own code.</summary>
    private static (OrderEvent Event, Order Order) Decide(Order? current, OrderCommand command, DateTimeOffset now)
    {
        var decision = OrderDecider.Decide(current, command, now, EventIds.Next());
        var change = decision.Event ?? throw new CommerceException(decision.Refusal!);
        return (change, OrderEvolution.Apply(current, change));
    }

    private static void Fail(BeginRequest request, Exception error) => request.Completion.TrySetException(error);

    private static CommerceException OrderExists(CheckoutSaga saga) =>
        new(new CommerceError(OrderingErrorCodes.OrderAlreadyExists, $"Order {saga.OrderId} was already placed by another command.", "OrderId"));

    private static LineAvailability[] Availability(BeginRequest request, long?[] available)
    {
        var lines = new LineAvailability[request.Command.Lines.Count];
        for (var i = 0; i < lines.Length; i++)
        {
            var line = request.Command.Lines[i];
            lines[i] = new LineAvailability(line.Sku, line.Location, line.Quantity, available[i] ?? 0);
        }

        return lines;
    }

    private static NpgsqlParameter<DateTime[]> Times(DateTime[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };
}
