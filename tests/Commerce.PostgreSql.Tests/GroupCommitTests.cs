using System.Collections.Concurrent;
using Commerce.Payments;
using Commerce.Payments.Idempotency;
using Commerce.Payments.Storage;
using Commerce.PostgreSql.Batching;
using Commerce.PostgreSql.Payments;
using Commerce.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using static Commerce.PostgreSql.Tests.Payments.PaymentSamples;

namespace Commerce.PostgreSql.Tests;

/// <summary>
/// Group commit: the <see cref="CallBatcher{TCall}"/> rules (a row in flight is never in two batches, an exclusive row
/// never twice in one, a failed batch fails only its own calls, disposal drains the queue) and the batched payment
/// functions under concurrency (mixed outcomes in one batch, a refused element, claims racing on one key).
/// </summary>
public sealed class GroupCommitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_row_in_flight_is_never_in_two_batches_and_an_exclusive_row_never_twice_in_one()
    {
        var inFlight = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var violations = new ConcurrentQueue<string>();
        var batches = 0;
        var batchId = 0;
        async Task ExecuteAsync(List<Call> batch)
        {
            var id = Interlocked.Increment(ref batchId);
            Interlocked.Increment(ref batches);
            var own = new HashSet<string>(StringComparer.Ordinal);
            foreach (var call in batch)
            {
                foreach (var row in call.Exclusive)
                {
                    if (!own.Add(row))
                    {
                        violations.Enqueue($"{row} twice in batch {id}");
                    }
                }
            }

            var rows = batch.SelectMany(c => c.Exclusive.Concat(c.Shared)).Distinct(StringComparer.Ordinal).ToArray();
            foreach (var row in rows)
            {
                if (!inFlight.TryAdd(row, id))
                {
                    violations.Enqueue($"{row} in batch {id} and {inFlight[row]}");
                }
            }

            await Task.Delay(1);
            foreach (var row in rows)
            {
                inFlight.TryRemove(new KeyValuePair<string, int>(row, id));
            }

            foreach (var call in batch)
            {
                call.Completion.TrySetResult();
            }
        }

        await using var batcher = new CallBatcher<Call>(ExecuteAsync, maxBatchSize: 8, workers: 4);
        var random = new Random(7);
        var calls = Enumerable.Range(0, 2_000).Select(_ =>
            new Call([$"p:{random.Next(40)}"], random.Next(3) == 0 ? [$"sku:{random.Next(3)}", $"sku:{3 + random.Next(3)}"] : null)).ToArray();
        await Task.WhenAll(calls.Select(c => Task.Run(() => batcher.EnqueueAsync(c, Ct)))).WaitAsync(TimeSpan.FromMinutes(1), Ct);

        Assert.Empty(violations);
        Assert.True(batches < calls.Length, "calls were coalesced");
    }

    [Fact]
    public async Task A_failed_batch_fails_its_own_calls_only_and_the_next_batches_run()
    {
        var started = new TaskCompletionSource();
        var gate = new TaskCompletionSource();
        async Task ExecuteAsync(List<Call> batch)
        {
            started.TrySetResult();
            await gate.Task;
            if (batch.Any(c => c.Exclusive[0] == "poison"))
            {
                throw new InvalidOperationException("refused");
            }

            batch.ForEach(c => c.Completion.TrySetResult());
        }

        await using var batcher = new CallBatcher<Call>(ExecuteAsync, maxBatchSize: 100, workers: 1);
        var first = batcher.EnqueueAsync(new Call(["first"]), Ct);
        await started.Task;

        // Queued while the first batch runs: the next batch, all three together.
        var poisoned = new[] { new Call(["poison"]), new Call(["a"]), new Call(["b"]) };
        var tasks = poisoned.Select(c => batcher.EnqueueAsync(c, Ct)).ToArray();
        gate.SetResult();
        await first;

        foreach (var task in tasks)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => task);
        }

        await batcher.EnqueueAsync(new Call(["after"]), Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task Disposing_under_load_completes_every_queued_call_and_refuses_new_ones()
    {
        var completed = 0;
        async Task ExecuteAsync(List<Call> batch)
        {
            await Task.Delay(2);
            foreach (var call in batch)
            {
                Interlocked.Increment(ref completed);
                call.Completion.TrySetResult();
            }
        }

        var batcher = new CallBatcher<Call>(ExecuteAsync, maxBatchSize: 16, workers: 2);
        var tasks = Enumerable.Range(0, 1_000).Select(i => batcher.EnqueueAsync(new Call([$"row:{i % 50}"], [$"sku:{i % 5}"]), Ct)).ToArray();
        await batcher.DisposeAsync();

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(1_000, completed);
        // Refused at once, before anything is queued.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.EnqueueAsync(new Call(["late"]), Ct));
    }

    [Fact]
    public async Task Writes_coalesced_into_one_batch_each_get_their_own_outcome_and_a_refused_one_undoes_only_itself()
    {
        await using var schema = PostgreSqlSchema.Create("gcw");
        var options = new PostgreSqlPaymentsOptions { Schema = schema.Name, MaxConcurrentBatches = 1 };
        await using var store = new PostgreSqlPaymentStore(schema.DataSource, options, new FakeTimeProvider(T0));
        await store.MigrateAsync(Ct);
        var created = Enumerable.Range(0, 24).Select(i => Created($"p{i}")).ToArray();
        await Task.WhenAll(created.Select(p => store.WriteAsync(new PaymentWrite { Payment = p, ExpectedVersion = 0 }, Ct).AsTask()));

        // All at once behind one worker: most of them share a call. p0 is stale, p1 captures more than it authorized.
        var authorized = created.Select(Authorized).ToArray();
        var capture = Capture(authorized[1] with { Version = 1 });
        var writes = authorized.Select((p, i) => i switch
        {
            0 => new PaymentWrite { Payment = p with { Version = 5 }, ExpectedVersion = 4 },
            1 => capture with { Payment = capture.Payment with { CapturedMinor = p.AuthorizedMinor + 1 }, ExpectedVersion = 1 },
            _ => new PaymentWrite { Payment = p, ExpectedVersion = 1, Events = [Event(p.Id, "payments.payment.authorized", T0)] },
        }).ToArray();
        using var start = new ManualResetEventSlim();
        var tasks = writes.Select(w => Task.Run(async () =>
        {
            start.Wait();
            return await store.WriteUnvalidatedAsync(w, Ct);
        })).ToArray();
        start.Set();

        var refused = await Assert.ThrowsAsync<PostgresException>(() => tasks[1]);
        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
        Assert.Equal(PaymentWriteStatus.VersionConflict, await tasks[0]);
        for (var i = 2; i < tasks.Length; i++)
        {
            Assert.Equal(PaymentWriteStatus.Written, await tasks[i]);
            var stored = (await store.GetAsync(authorized[i].Id, Ct))!;
            Assert.Equal((2L, PaymentStatus.Authorized), (stored.Version, stored.Status));
        }

        Assert.Equal(1, (await store.GetAsync(created[0].Id, Ct))!.Version);
        Assert.Equal(1, (await store.GetAsync(created[1].Id, Ct))!.Version);
        Assert.Empty(await store.GetJournalAsync(created[1].Id, Ct));
        Assert.Equal(22, (await store.Outbox.ClaimAsync(100, TimeSpan.FromMinutes(1), Ct)).Count);
    }

    [Fact]
    public async Task Claims_racing_in_batches_claim_each_key_once_and_tell_a_copy_with_another_body()
    {
        await using var schema = PostgreSqlSchema.Create("gck");
        await using var store = new PostgreSqlPaymentStore(schema.DataSource, new PostgreSqlPaymentsOptions { Schema = schema.Name, MaxBatchSize = 8 });
        await store.MigrateAsync(Ct);
        var keys = Enumerable.Range(0, 60).Select(i => Key($"k{i}", $"p{i}", T0)).ToArray();
        var other = Guid.NewGuid();
        var sends = keys.SelectMany(k => new[] { k, k, k with { Fingerprint = other } }).OrderBy(_ => Random.Shared.Next()).ToArray();
        using var start = new ManualResetEventSlim();
        var claims = await Task.WhenAll(sends.Select(k => Task.Run(async () =>
        {
            start.Wait();
            return (k, await store.ClaimKeyAsync(k, T0, Ct));
        })).ToArray().Also(start.Set));

        foreach (var group in claims.GroupBy(c => c.k.Key))
        {
            var statuses = group.Select(c => c.Item2.Status).ToArray();
            var winner = Assert.Single(group, c => c.Item2.Status == IdempotencyClaimStatus.Claimed);
            Assert.All(group.Where(c => c != winner), c => Assert.Equal(
                c.k.Fingerprint == winner.k.Fingerprint ? IdempotencyClaimStatus.InProgress : IdempotencyClaimStatus.FingerprintMismatch, c.Item2.Status));
            Assert.All(group, c => Assert.Equal(winner.k.Fingerprint, c.Item2.Record.Fingerprint));
            Assert.Equal(3, statuses.Length);
        }
    }

    private sealed class Call(string[] exclusive, string[]? shared = null) : BatchedCall(exclusive, shared);
}

internal static class TaskArrayExtensions
{
    /// <summary>Runs <paramref name="action"/> once the tasks are started, and returns them.</summary>
    public static Task<T>[] Also<T>(this Task<T>[] tasks, Action action)
    {
        action();
        return tasks;
    }
}
