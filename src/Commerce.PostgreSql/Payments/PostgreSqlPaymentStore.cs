using System.Collections.Immutable;
using Commerce.Events;
using Commerce.Payments;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Ledger;
using Commerce.Payments.Storage;
using Commerce.PostgreSql.Batching;
using Commerce.PostgreSql.Schema;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.PostgreSql.Payments;

/// <summary>
/// The payment store on PostgreSQL, the source of truth. A key claim and a payment write are one round trip each, to a
/// server-side function: the claim inserts the key or takes over an open or expired one atomically; the write is
/// conditional on the payment's version and commits the payment, its attempts, journal entries, outbox events, key
/// and webhook receipt in one transaction. CHECK constraints hold refunded ≤ captured ≤ authorized ≤ amount and
/// balanced journal entries, whoever writes.
/// </summary>
public sealed partial class PostgreSqlPaymentStore : IPaymentStore, IIdempotencyKeyStore, IKeyClaimWithPayment, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlPaymentsOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Sql _sql;
    private readonly CallBatcher<WriteCall> _writes;
    private readonly CallBatcher<ClaimCall> _claims;
    private readonly CallBatcher<ReadCall> _reads;

    /// <summary>Creates the store. Call <see cref="MigrateAsync"/> once (or let the DI registration do it) before use.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="timeProvider">The clock for outbox leases and the webhook retention window. Default <see cref="TimeProvider.System"/>.</param>
    public PostgreSqlPaymentStore(NpgsqlDataSource dataSource, PostgreSqlPaymentsOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _options = options ?? new PostgreSqlPaymentsOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _sql = new Sql(_options.Schema);
        Outbox = new PostgreSqlOutbox(dataSource, _options.Schema, "payment_outbox", _timeProvider);
        _writes = new CallBatcher<WriteCall>(ExecuteWritesAsync, _options.MaxBatchSize, _options.MaxConcurrentBatches);
        _claims = new CallBatcher<ClaimCall>(ExecuteClaimsAsync, _options.MaxBatchSize, _options.MaxConcurrentBatches);
        _reads = new CallBatcher<ReadCall>(ExecuteReadsAsync, _options.MaxBatchSize, _options.MaxConcurrentBatches);
    }

    /// <inheritdoc />
    public IOutboxStore Outbox { get; }

    /// <summary>Stops coalescing claims, reads and writes; the ones queued still run.</summary>
    public async ValueTask DisposeAsync()
    {
        await _claims.DisposeAsync().ConfigureAwait(false);
        await _reads.DisposeAsync().ConfigureAwait(false);
        await _writes.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Creates the schema, tables and functions if they are missing, or brings them up to date.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken = default) =>
        SchemaMigrator.MigrateAsync(_dataSource, SchemaMigrator.LoadScript("payments"), _options.Schema, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Concurrent claims of different keys are coalesced into one call to <c>payment_claim_keys</c> and one commit.</remarks>
    public async ValueTask<IdempotencyClaim> ClaimKeyAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(candidate.Key, nameof(candidate));
        var call = new ClaimCall(candidate, now, withPayment: false);
        await _claims.EnqueueAsync(call, cancellationToken).ConfigureAwait(false);
        return call.Claim;
    }

    /// <inheritdoc />
    /// <remarks>The payment is read by a second statement of the claims' batch: no call of its own.</remarks>
    async ValueTask<KeyClaimWithPayment> IKeyClaimWithPayment.ClaimKeyWithPaymentAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(candidate.Key, nameof(candidate));
        var call = new ClaimCall(candidate, now, withPayment: true);
        await _claims.EnqueueAsync(call, cancellationToken).ConfigureAwait(false);
        return new KeyClaimWithPayment(call.Claim, call.Payment);
    }

    /// <summary>
    /// Runs one coalesced batch of claims, with the payments the claimers asked for read by a second statement in the same
    /// transaction. Claims answer with statuses, so the batch fails only as a whole: a server error undoes every claim of
    /// it; a failure after the commit (the connection, a row that cannot be read back) leaves its keys held until their
    /// lease ends, as a crash of the callers would.
    /// </summary>
    private async Task ExecuteClaimsAsync(List<ClaimCall> batch)
    {
        var n = batch.Count;
        var keys = new string[n];
        var operations = new short[n];
        var fingerprints = new string[n];
        var paymentIds = new string[n];
        var states = new short[n];
        var leases = new DateTime[n];
        var attempts = new int?[n];
        var created = new DateTime[n];
        var nows = new DateTime[n];
        var reads = 0;
        for (var i = 0; i < n; i++)
        {
            reads += batch[i].WithPayment ? 1 : 0;
            var candidate = batch[i].Candidate;
            (keys[i], operations[i], fingerprints[i], paymentIds[i]) = (candidate.Key, (short)candidate.Operation, FingerprintText(candidate.Fingerprint), candidate.PaymentId.Value);
            (states[i], leases[i], attempts[i], created[i]) = ((short)candidate.State, candidate.LeaseExpiresAt.UtcDateTime, candidate.AttemptNumber, candidate.CreatedAt.UtcDateTime);
            nows[i] = batch[i].Now.UtcDateTime;
        }

        await using (var commands = _dataSource.CreateBatch())
        {
            var command = new NpgsqlBatchCommand(_sql.ClaimKeys);
            commands.BatchCommands.Add(command);
            var p = command.Parameters;
            p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = nows, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
            p.Add(new NpgsqlParameter<short[]> { TypedValue = operations });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = fingerprints });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = paymentIds });
            p.Add(new NpgsqlParameter<short[]> { TypedValue = states });
            p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = leases, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            p.Add(new NpgsqlParameter<int?[]> { TypedValue = attempts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
            p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = created, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            if (reads > 0)
            {
                // The payments the claimers read next, after the claims in the same transaction: one round trip for both.
                var ids = new string[reads];
                reads = 0;
                foreach (var call in batch)
                {
                    if (call.WithPayment)
                    {
                        ids[reads++] = call.Candidate.PaymentId.Value;
                    }
                }

                var read = new NpgsqlBatchCommand(_sql.GetPayments);
                read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
                commands.BatchCommands.Add(read);
            }

            await using var reader = await commands.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
            while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var call = batch[reader.GetInt32(0) - 1];
                call.Claim = new IdempotencyClaim((IdempotencyClaimStatus)reader.GetInt16(1), ReadKey(reader, 2, call.Candidate.Key));
            }

            if (reads > 0)
            {
                if (!await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    // Never expected: a missing read must fail the calls, not pass for "no such payment".
                    throw new InvalidOperationException("The claims' batch returned no payments result.");
                }

                var payments = await ReadPaymentsAsync(reader, CancellationToken.None).ConfigureAwait(false);
                foreach (var call in batch)
                {
                    call.Payment = call.WithPayment ? Find(payments, call.Candidate.PaymentId) : null;
                }
            }
        }

        // Handed out only after the reader is closed, so continuations never wait on this connection.
        foreach (var call in batch)
        {
            call.Completion.TrySetResult();
        }
    }

    /// <summary>A claim waiting for its batch; its key is its row.</summary>
    private sealed class ClaimCall(IdempotencyRecord candidate, DateTimeOffset now, bool withPayment) : BatchedCall(["k:" + candidate.Key])
    {
        public IdempotencyRecord Candidate { get; } = candidate;

        public DateTimeOffset Now { get; } = now;

        /// <summary>Whether the candidate's payment is read after the claim.</summary>
        public bool WithPayment { get; } = withPayment;

        /// <summary>Set before the completion is.</summary>
        public IdempotencyClaim Claim { get; set; }

        /// <summary>With <see cref="WithPayment"/>, set before the completion is; null when there is no such payment.</summary>
        public Payment? Payment { get; set; }
    }

    /// <inheritdoc />
    public async ValueTask ReleaseKeyAsync(string key, bool forget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var command = _dataSource.CreateCommand(forget ? _sql.ForgetKey : _sql.OpenKey);
        command.Parameters.Add(Text(key));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SaveKeyAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(record.Key, nameof(record));
        await using var command = _dataSource.CreateCommand(_sql.SaveKey);
        AddKey(command.Parameters, record);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IdempotencyRecord?> GetKeyAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var command = _dataSource.CreateCommand(_sql.GetKey);
        command.Parameters.Add(Text(key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadKey(reader, 0, key) : null;
    }

    /// <inheritdoc />
    /// <remarks>Concurrent reads are coalesced into one statement (one snapshot for all of them).</remarks>
    public async ValueTask<Payment?> GetAsync(PaymentId paymentId, CancellationToken cancellationToken)
    {
        var call = new ReadCall(paymentId);
        await _reads.EnqueueAsync(call, cancellationToken).ConfigureAwait(false);
        return call.Payment;
    }

    /// <summary>Runs one coalesced batch of reads as one statement.</summary>
    private async Task ExecuteReadsAsync(List<ReadCall> batch)
    {
        var ids = new string[batch.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = batch[i].PaymentId.Value;
        }

        List<Payment> payments;
        await using (var command = _dataSource.CreateCommand(_sql.GetPayments))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
            payments = await ReadPaymentsAsync(reader, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var call in batch)
        {
            call.Payment = Find(payments, call.PaymentId);
            call.Completion.TrySetResult();
        }
    }

    private static Payment? Find(List<Payment> payments, PaymentId id)
    {
        foreach (var payment in payments)
        {
            if (payment.Id == id)
            {
                return payment;
            }
        }

        return null;
    }

    /// <summary>A read waiting for its batch. Reads hold no rows: any number of them may share a batch.</summary>
    private sealed class ReadCall(PaymentId paymentId) : BatchedCall([])
    {
        public PaymentId PaymentId { get; } = paymentId;

        /// <summary>Set before the completion is; null when there is no such payment.</summary>
        public Payment? Payment { get; set; }
    }

    /// <inheritdoc />
    public async ValueTask<bool> RecordWebhookAsync(WebhookReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        await using var command = _dataSource.CreateCommand(_sql.RecordWebhook);
        var p = command.Parameters;
        p.Add(Text(receipt.Provider));
        p.Add(Text(receipt.EventId));
        p.Add(Text(receipt.Kind));
        p.Add(NullableText(receipt.PaymentId?.Value));
        p.Add(Time(receipt.ReceivedAt));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsWebhookRecordedAsync(string provider, string eventId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.IsWebhookRecorded);
        command.Parameters.Add(Text(provider));
        command.Parameters.Add(Text(eventId));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async ValueTask<PaymentId?> FindByPspReferenceAsync(string provider, string pspReference, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.FindByPspReference);
        command.Parameters.Add(Text(provider));
        command.Parameters.Add(Text(pspReference));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string id ? new PaymentId(id) : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Payment>> FindUnsettledAsync(DateTimeOffset changedBefore, int maxCount, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.FindUnsettled);
        command.Parameters.Add(Time(changedBefore));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Max(maxCount, 0) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await ReadPaymentsAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Payment> StreamChangedAsync(
        DateTimeOffset changedFrom, DateTimeOffset changedTo, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int PageSize = 1000;
        var after = (At: changedFrom.AddTicks(-TimeSpan.TicksPerMicrosecond), Id: string.Empty);
        while (true)
        {
            List<Payment> page;
            await using (var command = _dataSource.CreateCommand(_sql.StreamChanged))
            {
                command.Parameters.Add(Time(changedFrom));
                // PostgreSQL keeps microseconds: an exclusive bound inside a microsecond rounds up, or it would exclude that microsecond.
                var remainder = changedTo.Ticks % TimeSpan.TicksPerMicrosecond;
                command.Parameters.Add(Time(remainder == 0 ? changedTo : changedTo.AddTicks(TimeSpan.TicksPerMicrosecond - remainder)));
                command.Parameters.Add(Time(after.At));
                command.Parameters.Add(Text(after.Id));
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = PageSize });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                page = await ReadPaymentsAsync(reader, cancellationToken).ConfigureAwait(false);
            }

            foreach (var payment in page)
            {
                yield return payment;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = (page[^1].UpdatedAt, page[^1].Id.Value);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<JournalEntry>> GetJournalAsync(PaymentId paymentId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.GetJournal);
        command.Parameters.Add(Text(paymentId.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<JournalEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var accounts = reader.GetFieldValue<string[]>(3);
            var debits = reader.GetFieldValue<long[]>(4);
            var credits = reader.GetFieldValue<long[]>(5);
            var lines = ImmutableArray.CreateBuilder<JournalLine>(accounts.Length);
            for (var i = 0; i < accounts.Length; i++)
            {
                lines.Add(new JournalLine(accounts[i], debits[i], credits[i]));
            }

            entries.Add(new JournalEntry
            {
                PaymentId = paymentId,
                AttemptNumber = reader.GetInt32(0),
                Kind = reader.GetString(1),
                Currency = Currency.FromCode(reader.GetString(2)),
                Lines = lines.MoveToImmutable(),
                BookedAt = reader.GetFieldValue<DateTimeOffset>(6),
            });
        }

        return entries;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AccountBalance>> GetBalancesAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.GetBalances);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var balances = new List<AccountBalance>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            balances.Add(new AccountBalance(reader.GetString(0), Currency.FromCode(reader.GetString(1)), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return balances;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The same round trip also deletes published outbox events older than <paramref name="createdBefore"/> and webhook
    /// receipts older than <see cref="PostgreSqlPaymentsOptions.WebhookRetention"/>; the count is of keys only.
    /// </remarks>
    public async ValueTask<int> ReapKeysAsync(DateTimeOffset createdBefore, int maxCount, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.Reap);
        command.Parameters.Add(Time(createdBefore));
        command.Parameters.Add(Time(_timeProvider.GetUtcNow() - _options.WebhookRetention));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Max(maxCount, 0) });
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Reads the rows of <see cref="Sql.PaymentColumns"/> joined with attempts, ordered by payment, then attempt number.</summary>
    private static async ValueTask<List<Payment>> ReadPaymentsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var payments = new List<Payment>();
        Payment? current = null;
        var attempts = ImmutableArray.CreateBuilder<PaymentAttempt>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            if (current is null || !string.Equals(current.Id.Value, id, StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    payments.Add(current with { Attempts = attempts.ToImmutable() });
                    attempts.Clear();
                }

                current = ReadPayment(reader, new PaymentId(id));
            }

            if (!reader.IsDBNull(Sql.AttemptColumn))
            {
                attempts.Add(ReadAttempt(reader, Sql.AttemptColumn));
            }
        }

        if (current is not null)
        {
            payments.Add(current with { Attempts = attempts.ToImmutable() });
        }

        return payments;
    }

    private static Payment ReadPayment(NpgsqlDataReader reader, PaymentId id)
    {
        var currency = Currency.FromCode(reader.GetString(4));
        var sellers = reader.GetFieldValue<string[]>(7);
        var amounts = reader.GetFieldValue<long[]>(8);
        var basisPoints = reader.GetFieldValue<int[]>(9);
        var splits = ImmutableArray.CreateBuilder<PaymentSplit>(sellers.Length);
        for (var i = 0; i < sellers.Length; i++)
        {
            splits.Add(new PaymentSplit(new SellerId(sellers[i]), amounts[i], basisPoints[i]));
        }

        return new Payment
        {
            Id = id,
            Version = reader.GetInt64(1),
            Status = (PaymentStatus)reader.GetInt16(2),
            Amount = new Money(reader.GetInt64(3), currency),
            PaymentMethod = reader.GetString(5),
            OrderId = reader.IsDBNull(6) ? null : new OrderId(reader.GetString(6)),
            Splits = splits.MoveToImmutable(),
            AuthorizedMinor = reader.GetInt64(10),
            CapturedMinor = reader.GetInt64(11),
            RefundedMinor = reader.GetInt64(12),
            CaptureClosed = reader.GetBoolean(13),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(14),
            UpdatedAt = reader.GetFieldValue<DateTimeOffset>(15),
        };
    }

    private static PaymentAttempt ReadAttempt(NpgsqlDataReader reader, int first) => new()
    {
        Number = reader.GetInt32(first),
        Operation = (PaymentOperation)reader.GetInt16(first + 1),
        Provider = reader.GetString(first + 2),
        AmountMinor = reader.GetInt64(first + 3),
        IsFinal = reader.GetBoolean(first + 4),
        PspKey = reader.GetString(first + 5),
        Status = (AttemptStatus)reader.GetInt16(first + 6),
        PspReference = reader.IsDBNull(first + 7) ? null : reader.GetString(first + 7),
        FailureCode = reader.IsDBNull(first + 8) ? null : reader.GetString(first + 8),
        FailureMessage = reader.IsDBNull(first + 9) ? null : reader.GetString(first + 9),
        ResolveTries = reader.GetInt32(first + 10),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(first + 11),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(first + 12),
        RequestKey = reader.IsDBNull(first + 13) ? null : reader.GetString(first + 13),
    };

    /// <summary>Reads a key from the columns <see cref="Sql.KeyColumns"/>, starting at <paramref name="first"/>.</summary>
    private static IdempotencyRecord ReadKey(NpgsqlDataReader reader, int first, string key) => new()
    {
        Key = key,
        Operation = (PaymentOperation)reader.GetInt16(first),
        Fingerprint = ParseFingerprint(reader.GetString(first + 1)),
        PaymentId = new PaymentId(reader.GetString(first + 2)),
        State = (IdempotencyState)reader.GetInt16(first + 3),
        LeaseExpiresAt = reader.GetFieldValue<DateTimeOffset>(first + 4),
        AttemptNumber = reader.IsDBNull(first + 5) ? null : reader.GetInt32(first + 5),
        Result = reader.IsDBNull(first + 6)
            ? null
            : new StoredPaymentResult(
                (PaymentOutcome)reader.GetInt16(first + 6),
                (PaymentStatus)reader.GetInt16(first + 7),
                reader.GetInt32(first + 8),
                reader.IsDBNull(first + 9) ? null : reader.GetString(first + 9),
                reader.IsDBNull(first + 10) ? null : reader.GetString(first + 10)),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(first + 11),
    };

    /// <summary>Adds a key record's 13 columns as parameters, in table order (nulls for a missing key).</summary>
    private static void AddKey(NpgsqlParameterCollection p, IdempotencyRecord? record)
    {
        p.Add(NullableText(record?.Key));
        p.Add(NullableSmall((short?)record?.Operation));
        p.Add(NullableText(record?.Fingerprint is { } fingerprint ? FingerprintText(fingerprint) : null));
        p.Add(NullableText(record?.PaymentId.Value));
        p.Add(NullableSmall((short?)record?.State));
        p.Add(NullableTime(record?.LeaseExpiresAt));
        p.Add(NullableInt(record?.AttemptNumber));
        var result = record?.Result;
        p.Add(NullableSmall(result is { } outcome ? (short)outcome.Outcome : null));
        p.Add(NullableSmall(result is { } status ? (short)status.Status : null));
        p.Add(NullableInt(result?.AttemptNumber));
        p.Add(NullableText(result?.FailureCode));
        p.Add(NullableText(result?.FailureMessage));
        p.Add(NullableTime(record?.CreatedAt));
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    // Kept as text (32 hex digits): a fingerprint only ever needs comparing, in payment_claim_key. A row written before
    // fingerprints were 128-bit reads as the empty fingerprint, which matches no request.
    private static string FingerprintText(Guid fingerprint) => fingerprint.ToString("N");

    private static Guid ParseFingerprint(string text) => Guid.TryParseExact(text, "N", out var fingerprint) ? fingerprint : Guid.Empty;

    private static NpgsqlParameter NullableText(string? value) =>
        new() { Value = value is null ? DBNull.Value : value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter<short> Small(short value) => new() { TypedValue = value };

    private static NpgsqlParameter NullableSmall(short? value) =>
        new() { Value = value is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Smallint };

    private static NpgsqlParameter NullableInt(int? value) =>
        new() { Value = value is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    private static NpgsqlParameter NullableTime(DateTimeOffset? value) =>
        new() { Value = value is { } v ? v.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
