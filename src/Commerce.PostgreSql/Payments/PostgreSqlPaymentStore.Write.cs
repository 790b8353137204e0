using System.Text;
using Commerce.Payments;
using Commerce.Payments.Storage;
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

    private static NpgsqlParameter<string?[]> TextArray(string?[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter<DateTime[]> TimeArray(DateTime[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };
}
