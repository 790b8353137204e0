using Commerce.Events;
using Commerce.PostgreSql.Schema;
using Npgsql;

namespace Commerce.PostgreSql;

/// <summary>
/// The read side of an outbox table. Claims are serialized by a transaction-scoped advisory lock and always start at
/// the oldest unpublished message: if that one is leased or waiting for a retry, nothing behind it is handed out, so
/// events reach the publisher in the order they were committed, even with several relays running.
/// </summary>
internal sealed class PostgreSqlOutbox : IOutboxStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _claim;
    private readonly string _published;
    private readonly string _failed;
    private readonly long _lockKey;
    private readonly TimeProvider _timeProvider;

    public PostgreSqlOutbox(NpgsqlDataSource dataSource, string schema, string table, TimeProvider? timeProvider = null)
    {
        _dataSource = dataSource;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _lockKey = StableHash($"{schema}.{table}");
        _claim = SchemaMigrator.Render($$"""
            WITH pending AS (
                SELECT position, available_at, row_number() OVER (ORDER BY position) AS rn
                  FROM {schema}.{{table}}
                 WHERE published_at IS NULL AND dead_lettered_at IS NULL
                 ORDER BY position
                 LIMIT $2),
            blocked AS (SELECT min(rn) AS rn FROM pending WHERE available_at > $1)
            UPDATE {schema}.{{table}} o
               SET available_at = $1 + $3
              FROM pending
             WHERE o.position = pending.position
               AND pending.rn < coalesce((SELECT rn FROM blocked), 2147483647)
            RETURNING o.position, o.event_id, o.event_type, o.stream_id, o.occurred_at, o.payload::text, o.attempts
            """, schema);
        _published = SchemaMigrator.Render($"UPDATE {{schema}}.{table} SET published_at = $1 WHERE position = ANY ($2)", schema);
        _failed = SchemaMigrator.Render($$"""
            UPDATE {schema}.{{table}}
               SET attempts = attempts + 1, last_error = $3,
                   available_at = $1 + $4,
                   dead_lettered_at = CASE WHEN $5 THEN $1 END
             WHERE position = $2
            """, schema);
    }

    public async ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
        lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _lockKey });
        var claim = new NpgsqlBatchCommand(_claim);
        claim.Parameters.Add(Now());
        claim.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
        claim.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease });
        batch.BatchCommands.Add(lockCommand);
        batch.BatchCommands.Add(claim);

        var messages = new List<OutboxMessage>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var envelope = new EventEnvelope(
                    reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
                    System.Text.Encoding.UTF8.GetBytes(reader.GetString(5)));
                messages.Add(new OutboxMessage(reader.GetInt64(0), envelope, reader.GetInt32(6)));
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        messages.Sort(static (a, b) => a.Position.CompareTo(b.Position));
        return messages;
    }

    public async ValueTask MarkPublishedAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        var positions = new long[messages.Count];
        for (var i = 0; i < positions.Length; i++)
        {
            positions[i] = messages[i].Position;
        }

        await using var command = _dataSource.CreateCommand(_published);
        command.Parameters.Add(Now());
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = positions });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask MarkFailedAsync(OutboxMessage message, string error, TimeSpan retryAfter, bool deadLetter, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_failed);
        command.Parameters.Add(Now());
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = message.Position });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error.Length > 2000 ? error[..2000] : error });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = retryAfter });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = deadLetter });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private NpgsqlParameter<DateTime> Now() => Inventory.PostgreSqlInventoryStore.Time(_timeProvider.GetUtcNow());

    private static long StableHash(string value)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var hash = 14695981039346656037UL;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return (long)hash;
    }
}
