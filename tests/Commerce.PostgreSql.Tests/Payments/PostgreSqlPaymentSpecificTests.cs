using Commerce.Payments;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Storage;
using Commerce.PostgreSql.Payments;
using Commerce.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using static Commerce.PostgreSql.Tests.Payments.PaymentSamples;

namespace Commerce.PostgreSql.Tests.Payments;

/// <summary>What only the PostgreSQL payment store promises: migrations, SQL-level invariants and concurrency.</summary>
public sealed class PostgreSqlPaymentSpecificTests : IAsyncLifetime
{
    private PostgreSqlSchema _schema = null!;
    private FakeTimeProvider _time = null!;
    private PostgreSqlPaymentStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        _schema = PostgreSqlSchema.Create("payx");
        _time = new FakeTimeProvider(T0);
        _store = new PostgreSqlPaymentStore(_schema.DataSource, new PostgreSqlPaymentsOptions { Schema = _schema.Name }, _time);
        await _store.MigrateAsync();
    }

    public ValueTask DisposeAsync() => _schema.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrating_concurrently_and_repeatedly_is_safe()
    {
        var options = new PostgreSqlPaymentsOptions { Schema = _schema.Name };
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgreSqlPaymentStore(_schema.DataSource, options)).ToArray();

        await Task.WhenAll(stores.Select(s => s.MigrateAsync(Ct)));
        await stores[0].MigrateAsync(Ct);

        Assert.Equal(PaymentWriteStatus.Written, await stores[1].WriteAsync(new PaymentWrite { Payment = Created("p1"), ExpectedVersion = 0 }, Ct));
        Assert.Equal(1, (await stores[2].GetAsync(new PaymentId("p1"), Ct))!.Version);
    }

    [Fact]
    public async Task A_payment_reads_back_as_written_with_its_attempts_key_journal_and_event()
    {
        var created = Created("p1");
        var key = Key("k1", "p1", T0) with { AttemptNumber = 1 };
        Assert.Equal(PaymentWriteStatus.Written, await _store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0, Key = key }, Ct));
        var authorized = Authorized(created);
        var completed = key with { State = IdempotencyState.Completed, Result = new StoredPaymentResult(PaymentOutcome.Succeeded, PaymentStatus.Authorized, 1, null, null) };
        Assert.Equal(PaymentWriteStatus.Written, await _store.WriteAsync(new PaymentWrite { Payment = authorized, ExpectedVersion = 1, Key = completed }, Ct));
        var capture = Capture(authorized);
        Assert.Equal(PaymentWriteStatus.Written, await _store.WriteAsync(capture, Ct));

        var stored = (await _store.GetAsync(new PaymentId("p1"), Ct))!;
        var expected = capture.Payment;
        Assert.Equal(expected with { Splits = stored.Splits, Attempts = stored.Attempts }, stored);
        Assert.Equal(expected.Splits, stored.Splits);
        Assert.Equal(expected.Attempts, stored.Attempts);
        Assert.Equal(completed, await _store.GetKeyAsync("k1", Ct));
        Assert.Equal(new PaymentId("p1"), await _store.FindByPspReferenceAsync("simulated", "psp_p1", Ct));
        Assert.Null(await _store.FindByPspReferenceAsync("other", "psp_p1", Ct));

        var journal = Assert.Single(await _store.GetJournalAsync(new PaymentId("p1"), Ct));
        Assert.Equal(capture.Journal[0] with { Lines = journal.Lines }, journal);
        Assert.Equal(capture.Journal[0].Lines, journal.Lines);

        var message = Assert.Single(await _store.Outbox.ClaimAsync(10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(capture.Events[0].EventId, message.Event.EventId);
        Assert.Equal("payments.payment.captured", message.Event.EventType);
        Assert.Equal("p1", message.Event.StreamId);
    }

    [Fact]
    public async Task The_check_constraints_refuse_amounts_out_of_order_and_unbalanced_entries_written_by_plain_sql()
    {
        await _store.WriteAsync(new PaymentWrite { Payment = Authorized(Created("p1")) with { Version = 1 }, ExpectedVersion = 0 }, Ct);

        var overCaptured = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecuteAsync($"UPDATE {_schema.Name}.payments SET captured_minor = authorized_minor + 1 WHERE id = 'p1'"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, overCaptured.SqlState);
        var overRefunded = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecuteAsync($"UPDATE {_schema.Name}.payments SET captured_minor = 10, refunded_minor = 11 WHERE id = 'p1'"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, overRefunded.SqlState);
        var unbalanced = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"INSERT INTO {_schema.Name}.payment_journal (payment_id, attempt_number, kind, currency, accounts, debits, credits, booked_at) " +
            "VALUES ('p1', 2, 'capture', 'EUR', '{a,b}', '{100,0}', '{0,99}', now())"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, unbalanced.SqlState);
        var negative = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"INSERT INTO {_schema.Name}.payment_journal (payment_id, attempt_number, kind, currency, accounts, debits, credits, booked_at) " +
            "VALUES ('p1', 2, 'capture', 'EUR', '{a,b}', '{-5,0}', '{0,-5}', now())"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, negative.SqlState);

        var payment = (await _store.GetAsync(new PaymentId("p1"), Ct))!;
        Assert.Equal((10_000L, 0L, 0L), (payment.AuthorizedMinor, payment.CapturedMinor, payment.RefundedMinor));
        Assert.Empty(await _store.GetJournalAsync(new PaymentId("p1"), Ct));
    }

    [Fact]
    public async Task The_write_function_itself_refuses_a_capture_above_the_authorization_that_skipped_validation()
    {
        var authorized = Authorized(Created("p1")) with { Version = 1 };
        await _store.WriteAsync(new PaymentWrite { Payment = authorized, ExpectedVersion = 0 }, Ct);
        var capture = Capture(authorized);
        var bad = capture with { Payment = capture.Payment with { CapturedMinor = authorized.AuthorizedMinor + 1 } };
        Assert.Throws<InvalidOperationException>(() => PaymentWriteValidation.Validate(bad));

        // The store's own SQL, called the way WriteAsync calls it but without the C# validation in front.
        var ex = await Assert.ThrowsAsync<PostgresException>(async () => await _store.WriteUnvalidatedAsync(bad, Ct));
        Assert.Equal(PostgresErrorCodes.CheckViolation, ex.SqlState);
        Assert.Equal(1, (await _store.GetAsync(new PaymentId("p1"), Ct))!.Version);
        Assert.Empty(await _store.GetJournalAsync(new PaymentId("p1"), Ct));
    }

    [Fact]
    public async Task A_version_column_that_moved_on_turns_a_stale_write_into_a_conflict()
    {
        var created = Created("p1");
        await _store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, Ct);
        await ExecuteAsync($"UPDATE {_schema.Name}.payments SET version = 2 WHERE id = 'p1'");

        Assert.Equal(PaymentWriteStatus.VersionConflict, await _store.WriteAsync(new PaymentWrite { Payment = Authorized(created), ExpectedVersion = 1 }, Ct));
        Assert.Equal(PaymentWriteStatus.VersionConflict, await _store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, Ct));
        Assert.Equal(PaymentStatus.Created, (await _store.GetAsync(new PaymentId("p1"), Ct))!.Status);
    }

    [Fact]
    public async Task Of_a_hundred_concurrent_claims_of_one_key_exactly_one_holds_it()
    {
        var claims = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            Task.Run(async () => await _store.ClaimKeyAsync(Key("k1", "p1", T0), T0, Ct))));

        Assert.Single(claims, c => c.Status == IdempotencyClaimStatus.Claimed);
        Assert.Equal(99, claims.Count(c => c.Status == IdempotencyClaimStatus.InProgress));
    }

    [Fact]
    public async Task Of_fifty_concurrent_claims_of_an_expired_lease_exactly_one_resumes_it()
    {
        await _store.ClaimKeyAsync(Key("k1", "p1", T0), T0, Ct);
        var later = T0.AddMinutes(1);

        var claims = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Task.Run(async () => await _store.ClaimKeyAsync(Key("k1", "p1", later), later, Ct))));

        var resumed = Assert.Single(claims, c => c.Status == IdempotencyClaimStatus.Resumed);
        Assert.Equal(49, claims.Count(c => c.Status == IdempotencyClaimStatus.InProgress));
        Assert.Equal(T0, resumed.Record.CreatedAt);
        Assert.Equal(later.AddSeconds(30), resumed.Record.LeaseExpiresAt);
    }

    [Fact]
    public async Task Claims_racing_releases_that_forget_the_key_never_fail()
    {
        for (var round = 0; round < 20; round++)
        {
            var key = $"k{round}";
            await _store.ClaimKeyAsync(Key(key, "p1", T0), T0, Ct);
            var release = Task.Run(async () => await _store.ReleaseKeyAsync(key, forget: true, Ct));
            var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await _store.ClaimKeyAsync(Key(key, "p1", T0), T0, Ct))));
            await release;
            Assert.True(claims.Count(c => c.Status == IdempotencyClaimStatus.Claimed) <= 1);
            Assert.All(claims, c => Assert.Contains(c.Status, new[] { IdempotencyClaimStatus.Claimed, IdempotencyClaimStatus.InProgress }));
        }
    }

    [Fact]
    public async Task Of_concurrent_writes_from_one_version_exactly_one_is_written()
    {
        var created = Created("p1");
        var creates = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(async () => await _store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, Ct))));
        Assert.Single(creates, s => s == PaymentWriteStatus.Written);

        var authorized = Authorized(created);
        await _store.WriteAsync(new PaymentWrite { Payment = authorized, ExpectedVersion = 1 }, Ct);
        var captures = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(async () => await _store.WriteAsync(Capture(authorized), Ct))));

        Assert.Single(captures, s => s == PaymentWriteStatus.Written);
        Assert.All(captures.Where(s => s != PaymentWriteStatus.Written), s => Assert.Equal(PaymentWriteStatus.VersionConflict, s));
        Assert.Single(await _store.GetJournalAsync(new PaymentId("p1"), Ct));
        Assert.Equal(3, (await _store.GetAsync(new PaymentId("p1"), Ct))!.Version);
    }

    [Fact]
    public async Task A_duplicate_webhook_rolls_the_whole_write_back()
    {
        var created = Created("p1");
        var authorized = Authorized(created);
        await _store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, Ct);
        await _store.WriteAsync(new PaymentWrite { Payment = authorized, ExpectedVersion = 1 }, Ct);
        var receipt = new WebhookReceipt("simulated", "evt_1", "capture.succeeded", new PaymentId("p1"), T0);
        Assert.True(await _store.RecordWebhookAsync(receipt, Ct));

        var key = Key("k1", "p1", T0);
        var duplicate = Capture(authorized) with { Webhook = receipt, Key = key };
        Assert.Equal(PaymentWriteStatus.DuplicateWebhook, await _store.WriteAsync(duplicate, Ct));

        var stored = (await _store.GetAsync(new PaymentId("p1"), Ct))!;
        Assert.Equal((2L, PaymentStatus.Authorized, 1), (stored.Version, stored.Status, stored.Attempts.Length));
        Assert.Empty(await _store.GetJournalAsync(new PaymentId("p1"), Ct));
        Assert.Empty(await _store.Outbox.ClaimAsync(10, TimeSpan.FromMinutes(1), Ct));
        Assert.Null(await _store.GetKeyAsync("k1", Ct));

        // A create carrying a recorded webhook leaves no payment behind either.
        var other = new WebhookReceipt("simulated", "evt_2", "authorization.succeeded", new PaymentId("p2"), T0);
        Assert.True(await _store.RecordWebhookAsync(other, Ct));
        Assert.Equal(PaymentWriteStatus.DuplicateWebhook, await _store.WriteAsync(new PaymentWrite { Payment = Created("p2"), ExpectedVersion = 0, Webhook = other }, Ct));
        Assert.Null(await _store.GetAsync(new PaymentId("p2"), Ct));

        // A fresh event applies, and is then a duplicate.
        var fresh = receipt with { EventId = "evt_3" };
        Assert.Equal(PaymentWriteStatus.Written, await _store.WriteAsync(Capture(authorized) with { Webhook = fresh }, Ct));
        Assert.True(await _store.IsWebhookRecordedAsync("simulated", "evt_3", Ct));
        Assert.False(await _store.RecordWebhookAsync(fresh, Ct));
    }

    [Fact]
    public async Task Reaping_deletes_old_unheld_keys_published_events_and_webhook_receipts_past_their_windows()
    {
        var old = T0.AddDays(-2);
        _time = new FakeTimeProvider(old);
        _store = new PostgreSqlPaymentStore(_schema.DataSource, new PostgreSqlPaymentsOptions { Schema = _schema.Name }, _time);
        await _store.SaveKeyAsync(Key("completed", "p1", old) with { State = IdempotencyState.Completed, Result = new StoredPaymentResult(PaymentOutcome.Declined, PaymentStatus.Failed, 1, "card_declined", "Declined") }, Ct);
        await _store.SaveKeyAsync(Key("open", "p1", old) with { State = IdempotencyState.Open }, Ct);
        await _store.SaveKeyAsync(Key("held", "p1", old), Ct);
        await _store.SaveKeyAsync(Key("recent", "p1", T0) with { State = IdempotencyState.Completed }, Ct);
        await _store.RecordWebhookAsync(new WebhookReceipt("simulated", "evt_old", "x", null, T0.AddDays(-31)), Ct);
        await _store.RecordWebhookAsync(new WebhookReceipt("simulated", "evt_new", "x", null, T0.AddDays(-29)), Ct);
        var created = Created("p1");
        await _store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0, Events = [Event(created.Id, "payments.payment.created", old)] }, Ct);
        await _store.Outbox.MarkPublishedAsync(await _store.Outbox.ClaimAsync(10, TimeSpan.FromMinutes(1), Ct), Ct);
        _time.SetUtcNow(T0);

        Assert.Equal(1, await _store.ReapKeysAsync(T0.AddDays(-1), 1, Ct));
        Assert.Equal(1, await _store.ReapKeysAsync(T0.AddDays(-1), 10, Ct));
        Assert.Equal(0, await _store.ReapKeysAsync(T0.AddDays(-1), 10, Ct));

        Assert.Null(await _store.GetKeyAsync("completed", Ct));
        Assert.Null(await _store.GetKeyAsync("open", Ct));
        Assert.NotNull(await _store.GetKeyAsync("held", Ct));
        Assert.NotNull(await _store.GetKeyAsync("recent", Ct));
        Assert.False(await _store.IsWebhookRecordedAsync("simulated", "evt_old", Ct));
        Assert.True(await _store.IsWebhookRecordedAsync("simulated", "evt_new", Ct));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema.Name}.payment_outbox"));
    }

    [Fact]
    public async Task Balances_derived_by_the_store_equal_the_sums_of_the_journal_lines_and_every_currency_nets_to_zero()
    {
        for (var i = 0; i < 12; i++)
        {
            var created = Created($"p{i}", 1_000 + (i * 137));
            await _store.WriteAsync(new PaymentWrite { Payment = created, ExpectedVersion = 0 }, Ct);
            var authorized = Authorized(created);
            await _store.WriteAsync(new PaymentWrite { Payment = authorized, ExpectedVersion = 1 }, Ct);
            await _store.WriteAsync(Capture(authorized), Ct);
        }

        var expected = new Dictionary<string, (long Debit, long Credit)>();
        for (var i = 0; i < 12; i++)
        {
            foreach (var line in (await _store.GetJournalAsync(new PaymentId($"p{i}"), Ct)).SelectMany(e => e.Lines))
            {
                expected.TryGetValue(line.Account, out var total);
                expected[line.Account] = (total.Debit + line.DebitMinor, total.Credit + line.CreditMinor);
            }
        }

        var balances = await _store.GetBalancesAsync(Ct);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), balances.Select(b => b.Account));
        Assert.All(balances, b => Assert.Equal(expected[b.Account], (b.DebitMinor, b.CreditMinor)));
        Assert.All(balances, b => Assert.Equal(Currency.EUR, b.Currency));
        Assert.Equal(0, balances.Sum(b => b.NetMinor));
        Assert.Equal(0m, await ScalarAsync<decimal>(
            $"SELECT coalesce(sum(d) - sum(c), 0) FROM {_schema.Name}.payment_journal, unnest(debits, credits) AS l(d, c)"));
    }

    [Fact]
    public async Task Unsettled_payments_are_found_by_their_pending_or_unknown_attempt_oldest_first()
    {
        var first = Created("p1") with { UpdatedAt = T0.AddSeconds(-20) };
        var second = Created("p2") with { UpdatedAt = T0.AddSeconds(-30) };
        var recent = Created("p3") with { UpdatedAt = T0 };
        foreach (var payment in new[] { first, second, recent })
        {
            await _store.WriteAsync(new PaymentWrite { Payment = payment, ExpectedVersion = 0 }, Ct);
        }

        await _store.WriteAsync(new PaymentWrite { Payment = Authorized(Created("p4")) with { Version = 1, UpdatedAt = T0.AddSeconds(-40) }, ExpectedVersion = 0 }, Ct);

        var found = await _store.FindUnsettledAsync(T0.AddSeconds(-10), 10, Ct);
        Assert.Equal(["p2", "p1"], found.Select(p => p.Id.Value));
        Assert.All(found, p => Assert.Single(p.Attempts));
        Assert.Equal(["p2"], (await _store.FindUnsettledAsync(T0.AddSeconds(-10), 1, Ct)).Select(p => p.Id.Value));

        var unknown = Authorized(first) with { Status = PaymentStatus.Unknown, AuthorizedMinor = 0, Attempts = [first.Attempts[0] with { Status = AttemptStatus.Unknown }] };
        await _store.WriteAsync(new PaymentWrite { Payment = unknown with { UpdatedAt = T0.AddSeconds(-50) }, ExpectedVersion = 1 }, Ct);
        await _store.WriteAsync(new PaymentWrite { Payment = Authorized(second), ExpectedVersion = 1 }, Ct);
        Assert.Equal(["p1"], (await _store.FindUnsettledAsync(T0.AddSeconds(-10), 10, Ct)).Select(p => p.Id.Value));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _schema.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _schema.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
