using System.Text;
using Commerce.Payments;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Storage;
using Commerce.PostgreSql.Batching;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.PostgreSql.Payments;

public sealed partial class PostgreSqlPaymentStore
{
    /// <inheritdoc />
    public ValueTask<PaymentWriteStatus> WriteAsync(PaymentWrite write, CancellationToken cancellationToken)
    {
        PaymentWriteValidation.Validate(write);
        return WriteUnvalidatedAsync(write, cancellationToken);
    }

    /// <summary>The write as sent to the database, without the C# checks: tests call it to show the schema's own.</summary>
    internal async ValueTask<PaymentWriteStatus> WriteUnvalidatedAsync(PaymentWrite write, CancellationToken cancellationToken)
    {
        if (write.Webhook is not null)
        {
            // Webhook receipts are rare and have their own duplicate rules: one call of their own.
            return await WriteOneAsync(write, cancellationToken).ConfigureAwait(false);
        }

        var call = new WriteCall(write);
        await _writes.EnqueueAsync(call, cancellationToken).ConfigureAwait(false);
        return call.Status;
    }

    /// <summary>Runs one coalesced batch of writes as one call to <c>payment_write_many</c>: one transaction, one commit.</summary>
    private async Task ExecuteWritesAsync(List<WriteCall> batch)
    {
        try
        {
            await WriteManyAsync(batch).ConfigureAwait(false);
        }
        catch (PostgresException) when (batch.Count > 1)
        {
            // One change is refused by the schema (a CHECK, a journal entry booked twice) and the call was undone: write
            // them one by one, so that only that one fails.
            foreach (var call in batch)
            {
                try
                {
                    call.Status = await WriteOneAsync(call.Write, CancellationToken.None).ConfigureAwait(false);
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

    private async Task WriteManyAsync(List<WriteCall> batch)
    {
        var n = batch.Count;
        int splitCount = 0, attemptCount = 0, entryCount = 0, lineCount = 0, eventCount = 0;
        foreach (var call in batch)
        {
            var write = call.Write;
            splitCount += write.Payment.Splits.Length;
            attemptCount += write.Payment.Attempts.Length;
            entryCount += write.Journal.Count;
            foreach (var entry in write.Journal)
            {
                lineCount += entry.Lines.Length;
            }

            eventCount += write.Events.Count;
        }

        var expected = new long[n];
        var ids = new string[n];
        var versions = new long[n];
        var statuses = new short[n];
        var amounts = new long[n];
        var currencies = new string[n];
        var methods = new string[n];
        var orderIds = new string?[n];
        var splitCounts = new int[n];
        var splitSellers = new string[splitCount];
        var splitAmounts = new long[splitCount];
        var splitBps = new int[splitCount];
        var authorized = new long[n];
        var captured = new long[n];
        var refunded = new long[n];
        var closed = new bool[n];
        var created = new DateTime[n];
        var updated = new DateTime[n];
        var attempts = new AttemptArrays(attemptCount);
        var attemptCounts = new int[n];
        var entryCounts = new int[n];
        var entryAttempts = new int[entryCount];
        var entryKinds = new string[entryCount];
        var entryBooked = new DateTime[entryCount];
        var entryLines = new int[entryCount];
        var accounts = new string[lineCount];
        var debits = new long[lineCount];
        var credits = new long[lineCount];
        var eventCounts = new int[n];
        var eventIds = new Guid[eventCount];
        var eventTypes = new string[eventCount];
        var eventStreams = new string[eventCount];
        var eventTimes = new DateTime[eventCount];
        var eventPayloads = new string[eventCount];
        var keys = new KeyArrays(n);
        int split = 0, entryAt = 0, line = 0, eventAt = 0;
        for (var i = 0; i < n; i++)
        {
            var write = batch[i].Write;
            var payment = write.Payment;
            expected[i] = write.ExpectedVersion;
            ids[i] = payment.Id.Value;
            versions[i] = payment.Version;
            statuses[i] = (short)payment.Status;
            amounts[i] = payment.Amount.MinorUnits;
            currencies[i] = payment.Amount.Currency.Code;
            methods[i] = payment.PaymentMethod;
            orderIds[i] = payment.OrderId?.Value;
            splitCounts[i] = payment.Splits.Length;
            foreach (var s in payment.Splits)
            {
                (splitSellers[split], splitAmounts[split], splitBps[split]) = (s.SellerId.Value, s.AmountMinor, s.CommissionBasisPoints);
                split++;
            }

            authorized[i] = payment.AuthorizedMinor;
            captured[i] = payment.CapturedMinor;
            refunded[i] = payment.RefundedMinor;
            closed[i] = payment.CaptureClosed;
            created[i] = payment.CreatedAt.UtcDateTime;
            updated[i] = payment.UpdatedAt.UtcDateTime;
            attemptCounts[i] = payment.Attempts.Length;
            foreach (var a in payment.Attempts)
            {
                attempts.Add(a);
            }

            entryCounts[i] = write.Journal.Count;
            foreach (var entry in write.Journal)
            {
                (entryAttempts[entryAt], entryKinds[entryAt], entryBooked[entryAt], entryLines[entryAt]) =
                    (entry.AttemptNumber, entry.Kind, entry.BookedAt.UtcDateTime, entry.Lines.Length);
                entryAt++;
                foreach (var l in entry.Lines)
                {
                    (accounts[line], debits[line], credits[line]) = (l.Account, l.DebitMinor, l.CreditMinor);
                    line++;
                }
            }

            eventCounts[i] = write.Events.Count;
            foreach (var e in write.Events)
            {
                (eventIds[eventAt], eventTypes[eventAt], eventStreams[eventAt], eventTimes[eventAt]) = (e.EventId, e.EventType, e.StreamId, e.OccurredAt.UtcDateTime);
                eventPayloads[eventAt] = Encoding.UTF8.GetString(e.ToEnvelope().Payload.Span);
                eventAt++;
            }

            keys.Set(i, write.Key);
        }

        await using var command = _dataSource.CreateCommand(_sql.WriteMany);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<long[]> { TypedValue = expected });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = versions });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = statuses });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = amounts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = currencies });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = methods });
        p.Add(TextArray(orderIds));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = splitCounts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = splitSellers });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = splitAmounts });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = splitBps });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = authorized });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = captured });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = refunded });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = closed });
        p.Add(TimeArray(created));
        p.Add(TimeArray(updated));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = attemptCounts });
        attempts.AddTo(p);
        p.Add(new NpgsqlParameter<int[]> { TypedValue = entryCounts });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = entryAttempts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = entryKinds });
        p.Add(TimeArray(entryBooked));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = entryLines });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = accounts });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = debits });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = credits });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = eventCounts });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = eventIds });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = eventTypes });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = eventStreams });
        p.Add(TimeArray(eventTimes));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = eventPayloads });
        keys.AddTo(p);
        var result = (short[])(await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false))!;
        for (var i = 0; i < n; i++)
        {
            batch[i].Status = (PaymentWriteStatus)result[i];
        }
    }

    /// <summary>One call to <c>payment_write</c>, its own transaction.</summary>
    private async ValueTask<PaymentWriteStatus> WriteOneAsync(PaymentWrite write, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.Write);
        var p = command.Parameters;
        AddPayment(p, write);
        AddAttempts(p, write.Payment);
        AddJournal(p, write);
        AddEvents(p, write);
        AddKey(p, write.Key);
        var webhook = write.Webhook;
        p.Add(NullableText(webhook?.Provider));
        p.Add(NullableText(webhook?.EventId));
        p.Add(NullableText(webhook?.Kind));
        p.Add(NullableText(webhook?.PaymentId?.Value));
        p.Add(NullableTime(webhook?.ReceivedAt));
        var status = (short)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return (PaymentWriteStatus)status;
    }

    private static void AddPayment(NpgsqlParameterCollection p, PaymentWrite write)
    {
        var payment = write.Payment;
        p.Add(new NpgsqlParameter<long> { TypedValue = write.ExpectedVersion });
        p.Add(Text(payment.Id.Value));
        p.Add(new NpgsqlParameter<long> { TypedValue = payment.Version });
        p.Add(Small((short)payment.Status));
        p.Add(new NpgsqlParameter<long> { TypedValue = payment.Amount.MinorUnits });
        p.Add(Text(payment.Amount.Currency.Code));
        p.Add(Text(payment.PaymentMethod));
        p.Add(NullableText(payment.OrderId?.Value));
        var splits = payment.Splits;
        var sellers = new string[splits.Length];
        var amounts = new long[splits.Length];
        var basisPoints = new int[splits.Length];
        for (var i = 0; i < splits.Length; i++)
        {
            sellers[i] = splits[i].SellerId.Value;
            amounts[i] = splits[i].AmountMinor;
            basisPoints[i] = splits[i].CommissionBasisPoints;
        }

        p.Add(new NpgsqlParameter<string[]> { TypedValue = sellers });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = amounts });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = basisPoints });
        p.Add(new NpgsqlParameter<long> { TypedValue = payment.AuthorizedMinor });
        p.Add(new NpgsqlParameter<long> { TypedValue = payment.CapturedMinor });
        p.Add(new NpgsqlParameter<long> { TypedValue = payment.RefundedMinor });
        p.Add(new NpgsqlParameter<bool> { TypedValue = payment.CaptureClosed });
        p.Add(Time(payment.CreatedAt));
        p.Add(Time(payment.UpdatedAt));
    }

    private static void AddAttempts(NpgsqlParameterCollection p, Payment payment)
    {
        var attempts = payment.Attempts;
        var n = attempts.Length;
        var numbers = new int[n];
        var operations = new short[n];
        var providers = new string[n];
        var amounts = new long[n];
        var finals = new bool[n];
        var pspKeys = new string[n];
        var statuses = new short[n];
        var references = new string?[n];
        var codes = new string?[n];
        var messages = new string?[n];
        var tries = new int[n];
        var created = new DateTime[n];
        var updated = new DateTime[n];
        var requestKeys = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var a = attempts[i];
            numbers[i] = a.Number;
            operations[i] = (short)a.Operation;
            providers[i] = a.Provider;
            amounts[i] = a.AmountMinor;
            finals[i] = a.IsFinal;
            pspKeys[i] = a.PspKey;
            statuses[i] = (short)a.Status;
            references[i] = a.PspReference;
            codes[i] = a.FailureCode;
            messages[i] = a.FailureMessage;
            tries[i] = a.ResolveTries;
            created[i] = a.CreatedAt.UtcDateTime;
            updated[i] = a.UpdatedAt.UtcDateTime;
            requestKeys[i] = a.RequestKey;
        }

        p.Add(new NpgsqlParameter<int[]> { TypedValue = numbers });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = operations });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = providers });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = amounts });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = finals });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = pspKeys });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = statuses });
        p.Add(TextArray(references));
        p.Add(TextArray(codes));
        p.Add(TextArray(messages));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = tries });
        p.Add(TimeArray(created));
        p.Add(TimeArray(updated));
        p.Add(TextArray(requestKeys));
    }

    private static void AddJournal(NpgsqlParameterCollection p, PaymentWrite write)
    {
        var journal = write.Journal;
        var attemptNumbers = new int[journal.Count];
        var kinds = new string[journal.Count];
        var bookedAt = new DateTime[journal.Count];
        var lineCounts = new int[journal.Count];
        var lineTotal = 0;
        for (var e = 0; e < journal.Count; e++)
        {
            attemptNumbers[e] = journal[e].AttemptNumber;
            kinds[e] = journal[e].Kind;
            bookedAt[e] = journal[e].BookedAt.UtcDateTime;
            lineCounts[e] = journal[e].Lines.Length;
            lineTotal += lineCounts[e];
        }

        var accounts = new string[lineTotal];
        var debits = new long[lineTotal];
        var credits = new long[lineTotal];
        var line = 0;
        foreach (var entry in journal)
        {
            foreach (var l in entry.Lines)
            {
                accounts[line] = l.Account;
                debits[line] = l.DebitMinor;
                credits[line] = l.CreditMinor;
                line++;
            }
        }

        p.Add(new NpgsqlParameter<int[]> { TypedValue = attemptNumbers });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = kinds });
        p.Add(TimeArray(bookedAt));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = lineCounts });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = accounts });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = debits });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = credits });
    }

    private static void AddEvents(NpgsqlParameterCollection p, PaymentWrite write)
    {
        var events = write.Events;
        var ids = new Guid[events.Count];
        var types = new string[events.Count];
        var streams = new string[events.Count];
        var occurredAt = new DateTime[events.Count];
        var payloads = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            ids[i] = events[i].EventId;
            types[i] = events[i].EventType;
            streams[i] = events[i].StreamId;
            occurredAt[i] = events[i].OccurredAt.UtcDateTime;
            payloads[i] = Encoding.UTF8.GetString(events[i].ToEnvelope().Payload.Span);
        }

        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = types });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = streams });
        p.Add(TimeArray(occurredAt));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = payloads });
    }

    /// <summary>A write waiting for its batch. Its payment and its key are its rows.</summary>
    private sealed class WriteCall(PaymentWrite write)
        : BatchedCall(write.Key is { } key ? ["p:" + write.Payment.Id.Value, "k:" + key.Key] : ["p:" + write.Payment.Id.Value])
    {
        public PaymentWrite Write { get; } = write;

        /// <summary>Set before the completion is.</summary>
        public PaymentWriteStatus Status { get; set; }
    }

    /// <summary>The attempt columns of a batch, as parallel arrays in the order of <c>payment_write_many</c>'s a_* parameters.</summary>
    private sealed class AttemptArrays(int count)
    {
        private readonly int[] _numbers = new int[count];
        private readonly short[] _operations = new short[count];
        private readonly string[] _providers = new string[count];
        private readonly long[] _amounts = new long[count];
        private readonly bool[] _finals = new bool[count];
        private readonly string[] _pspKeys = new string[count];
        private readonly short[] _statuses = new short[count];
        private readonly string?[] _references = new string?[count];
        private readonly string?[] _codes = new string?[count];
        private readonly string?[] _messages = new string?[count];
        private readonly int[] _tries = new int[count];
        private readonly DateTime[] _created = new DateTime[count];
        private readonly DateTime[] _updated = new DateTime[count];
        private readonly string?[] _requestKeys = new string?[count];
        private int _next;

        public void Add(PaymentAttempt a)
        {
            var i = _next++;
            (_numbers[i], _operations[i], _providers[i], _amounts[i], _finals[i]) = (a.Number, (short)a.Operation, a.Provider, a.AmountMinor, a.IsFinal);
            (_pspKeys[i], _statuses[i], _references[i], _codes[i], _messages[i]) = (a.PspKey, (short)a.Status, a.PspReference, a.FailureCode, a.FailureMessage);
            (_tries[i], _created[i], _updated[i], _requestKeys[i]) = (a.ResolveTries, a.CreatedAt.UtcDateTime, a.UpdatedAt.UtcDateTime, a.RequestKey);
        }

        public void AddTo(NpgsqlParameterCollection p)
        {
            p.Add(new NpgsqlParameter<int[]> { TypedValue = _numbers });
            p.Add(new NpgsqlParameter<short[]> { TypedValue = _operations });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = _providers });
            p.Add(new NpgsqlParameter<long[]> { TypedValue = _amounts });
            p.Add(new NpgsqlParameter<bool[]> { TypedValue = _finals });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = _pspKeys });
            p.Add(new NpgsqlParameter<short[]> { TypedValue = _statuses });
            p.Add(TextArray(_references));
            p.Add(TextArray(_codes));
            p.Add(TextArray(_messages));
            p.Add(new NpgsqlParameter<int[]> { TypedValue = _tries });
            p.Add(TimeArray(_created));
            p.Add(TimeArray(_updated));
            p.Add(TextArray(_requestKeys));
        }
    }

    /// <summary>The key records of a batch (null where a write has none), in the order of <c>payment_write_many</c>'s k_* parameters.</summary>
    private sealed class KeyArrays(int count)
    {
        private readonly string?[] _keys = new string?[count];
        private readonly short?[] _operations = new short?[count];
        private readonly string?[] _fingerprints = new string?[count];
        private readonly string?[] _paymentIds = new string?[count];
        private readonly short?[] _states = new short?[count];
        private readonly DateTime?[] _leases = new DateTime?[count];
        private readonly int?[] _attempts = new int?[count];
        private readonly short?[] _outcomes = new short?[count];
        private readonly short?[] _statuses = new short?[count];
        private readonly int?[] _resultAttempts = new int?[count];
        private readonly string?[] _codes = new string?[count];
        private readonly string?[] _messages = new string?[count];
        private readonly DateTime?[] _created = new DateTime?[count];

        public void Set(int i, IdempotencyRecord? key)
        {
            if (key is not { } record)
            {
                return;
            }

            (_keys[i], _operations[i], _fingerprints[i], _paymentIds[i]) = (record.Key, (short)record.Operation, FingerprintText(record.Fingerprint), record.PaymentId.Value);
            (_states[i], _leases[i], _attempts[i], _created[i]) = ((short)record.State, record.LeaseExpiresAt.UtcDateTime, record.AttemptNumber, record.CreatedAt.UtcDateTime);
            if (record.Result is { } result)
            {
                (_outcomes[i], _statuses[i], _resultAttempts[i]) = ((short)result.Outcome, (short)result.Status, result.AttemptNumber);
                (_codes[i], _messages[i]) = (result.FailureCode, result.FailureMessage);
            }
        }

        public void AddTo(NpgsqlParameterCollection p)
        {
            p.Add(TextArray(_keys));
            p.Add(new NpgsqlParameter<short?[]> { TypedValue = _operations, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
            p.Add(TextArray(_fingerprints));
            p.Add(TextArray(_paymentIds));
            p.Add(new NpgsqlParameter<short?[]> { TypedValue = _states, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
            p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = _leases, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            p.Add(new NpgsqlParameter<int?[]> { TypedValue = _attempts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
            p.Add(new NpgsqlParameter<short?[]> { TypedValue = _outcomes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
            p.Add(new NpgsqlParameter<short?[]> { TypedValue = _statuses, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
            p.Add(new NpgsqlParameter<int?[]> { TypedValue = _resultAttempts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
            p.Add(TextArray(_codes));
            p.Add(TextArray(_messages));
            p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = _created, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        }
    }

    private static NpgsqlParameter<string?[]> TextArray(string?[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter<DateTime[]> TimeArray(DateTime[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };
}
