using System.Globalization;
using Commerce.Payments;
using Commerce.Payments.Idempotency;
using StackExchange.Redis;

namespace Commerce.Redis.Payments;

/// <summary>
/// Callers' payment idempotency keys in Redis (standalone or Redis Cluster), beside a payment store that stays the
/// source of truth. Each key is one hash, read and changed only by Lua scripts, so a claim (fingerprint check, lease
/// take-over) is atomic on the server and one round trip. A key expires <see cref="RedisIdempotencyOptions.Retention"/>
/// after its creation (or when its lease ends, if later), so reaping is Redis expiry.
/// </summary>
/// <remarks>
/// Every script touches one key, so any key is cluster-safe; the key is written <c>{prefix}{{caller key}}</c>, a hash
/// tag on the caller's key, so anything added per key later lands in the same slot. Times are stored as 19-digit tick
/// strings: Lua numbers are doubles, too coarse for ticks, and equal-length digit strings compare like the numbers.
/// If Redis loses a key (a failover before replication, eviction), a retry claims it afresh and the orchestrator
/// finds the request's attempt in the payment store by its key: it resumes or replays it, never charges twice.
/// </remarks>
public sealed class RedisIdempotencyKeyStore : IIdempotencyKeyStore
{
    // Fields: op, fp, pay, st, lease, att, ro, rs, ra, rc, rm, at (created). Returns {status} for a new key, else
    // {status, the fields as HGETALL lists them}. Status: 0 claimed, 1 resumed, 2 completed, 3 in progress, 4 mismatch.
    private const string ClaimScript = """
        local k = KEYS[1]
        local fp = redis.call('HGET', k, 'fp')
        if not fp then
            redis.call('HSET', k, 'op', ARGV[2], 'fp', ARGV[3], 'pay', ARGV[4], 'st', '0', 'lease', ARGV[5], 'at', ARGV[6])
            redis.call('PEXPIRE', k, ARGV[7])
            return {0}
        end
        if fp ~= ARGV[3] then
            return {4, redis.call('HGETALL', k)}
        end
        local st = redis.call('HGET', k, 'st')
        if st == '2' then
            return {2, redis.call('HGETALL', k)}
        end
        if st == '0' and redis.call('HGET', k, 'lease') > ARGV[1] then
            return {3, redis.call('HGETALL', k)}
        end
        redis.call('HSET', k, 'st', '0', 'lease', ARGV[5])
        if redis.call('PTTL', k) < tonumber(ARGV[8]) then
            redis.call('PEXPIRE', k, ARGV[8])
        end
        return {1, redis.call('HGETALL', k)}
        """;

    // ARGV[1]: 1 forget (delete), 0 open. Only a held key (state 0) is given up.
    private const string ReleaseScript = """
        local k = KEYS[1]
        if redis.call('HGET', k, 'st') ~= '0' then
            return 0
        end
        if ARGV[1] == '1' then
            redis.call('DEL', k)
        else
            redis.call('HSET', k, 'st', '1')
        end
        return 1
        """;

    // ARGV[1]: the expiry in milliseconds; then field, value pairs.
    private const string SaveScript = """
        local k = KEYS[1]
        redis.call('DEL', k)
        redis.call('HSET', k, unpack(ARGV, 2))
        redis.call('PEXPIRE', k, ARGV[1])
        return 1
        """;

    private readonly IDatabase _database;
    private readonly RedisIdempotencyOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the store.</summary>
    /// <param name="database">The Redis database (from a connection to a standalone server or a cluster).</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="timeProvider">The clock expiries are computed from. Default <see cref="TimeProvider.System"/>.</param>
    public RedisIdempotencyKeyStore(IDatabase database, RedisIdempotencyOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _options = options ?? new RedisIdempotencyOptions();
        _timeProvider = timeProvider ?? TimeProvider.System;
        if (_options.Retention <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Retention must be above zero.");
        }
    }

    /// <inheritdoc />
    public async ValueTask<IdempotencyClaim> ClaimKeyAsync(IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(candidate.Key, nameof(candidate));
        cancellationToken.ThrowIfCancellationRequested();
        var leaseMs = Milliseconds(candidate.LeaseExpiresAt - now);
        var result = (RedisResult[])(await _database.ScriptEvaluateAsync(ClaimScript, [RedisKey(candidate.Key)],
        [
            Ticks(now), (int)candidate.Operation, FingerprintText(candidate.Fingerprint), candidate.PaymentId.Value, Ticks(candidate.LeaseExpiresAt),
            Ticks(candidate.CreatedAt), Expiry(candidate), leaseMs,
        ]).ConfigureAwait(false))!;
        var status = (IdempotencyClaimStatus)(int)result[0];
        return status == IdempotencyClaimStatus.Claimed
            ? new IdempotencyClaim(status, candidate)
            : new IdempotencyClaim(status, Read(candidate.Key, (RedisResult[])result[1]!));
    }

    /// <inheritdoc />
    public async ValueTask ReleaseKeyAsync(string key, bool forget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        await _database.ScriptEvaluateAsync(ReleaseScript, [RedisKey(key)], [forget ? 1 : 0]).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SaveKeyAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(record.Key, nameof(record));
        cancellationToken.ThrowIfCancellationRequested();
        var values = new List<RedisValue>(26)
        {
            Expiry(record),
            "op", (int)record.Operation, "fp", FingerprintText(record.Fingerprint), "pay", record.PaymentId.Value, "st", (int)record.State,
            "lease", Ticks(record.LeaseExpiresAt), "at", Ticks(record.CreatedAt),
        };
        if (record.AttemptNumber is { } attempt)
        {
            values.Add("att");
            values.Add(attempt);
        }

        if (record.Result is { } result)
        {
            values.AddRange(["ro", (int)result.Outcome, "rs", (int)result.Status, "ra", result.AttemptNumber]);
            if (result.FailureCode is not null)
            {
                values.AddRange(["rc", result.FailureCode]);
            }

            if (result.FailureMessage is not null)
            {
                values.AddRange(["rm", result.FailureMessage]);
            }
        }

        await _database.ScriptEvaluateAsync(SaveScript, [RedisKey(record.Key)], [.. values]).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IdempotencyRecord?> GetKeyAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var fields = await _database.HashGetAllAsync(RedisKey(key)).ConfigureAwait(false);
        return fields.Length == 0 ? null : Read(key, fields.ToDictionary(static f => f.Name.ToString(), static f => f.Value, StringComparer.Ordinal));
    }

    /// <inheritdoc />
    /// <remarks>Keys expire by themselves <see cref="RedisIdempotencyOptions.Retention"/> after creation: nothing to delete here.</remarks>
    public ValueTask<int> ReapKeysAsync(DateTimeOffset createdBefore, int maxCount, CancellationToken cancellationToken) => new(0);

    /// <summary>The Redis key of a caller's key: the prefix, then the caller's key as the hash tag.</summary>
    internal RedisKey RedisKey(string key) => _options.KeyPrefix + "{" + key + "}";

    /// <summary>How long Redis keeps a record: the retention window from its creation, or until its lease ends if that is later.</summary>
    private long Expiry(IdempotencyRecord record)
    {
        var now = _timeProvider.GetUtcNow();
        var until = record.CreatedAt + _options.Retention;
        if (record.State == IdempotencyState.InProgress && record.LeaseExpiresAt > until)
        {
            until = record.LeaseExpiresAt;
        }

        return Math.Max(1, Milliseconds(until - now));
    }

    private static long Milliseconds(TimeSpan span) => Math.Max(1, (long)Math.Ceiling(span.TotalMilliseconds));

    private static string Ticks(DateTimeOffset time) => time.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    private static IdempotencyRecord Read(string key, RedisResult[] flat)
    {
        var fields = new Dictionary<string, RedisValue>(flat.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            fields[(string)flat[i]!] = (RedisValue)flat[i + 1];
        }

        return Read(key, fields);
    }

    private static IdempotencyRecord Read(string key, Dictionary<string, RedisValue> fields)
    {
        StoredPaymentResult? result = null;
        if (fields.TryGetValue("ro", out var outcome))
        {
            result = new StoredPaymentResult(
                (PaymentOutcome)(int)outcome,
                (PaymentStatus)(int)fields["rs"],
                (int)fields["ra"],
                fields.TryGetValue("rc", out var code) ? (string?)code : null,
                fields.TryGetValue("rm", out var message) ? (string?)message : null);
        }

        return new IdempotencyRecord
        {
            Key = key,
            Operation = (PaymentOperation)(int)fields["op"],
            Fingerprint = Guid.TryParseExact((string)fields["fp"]!, "N", out var fingerprint) ? fingerprint : Guid.Empty,
            PaymentId = new PaymentId((string)fields["pay"]!),
            State = (IdempotencyState)(int)fields["st"],
            LeaseExpiresAt = FromTicks(fields["lease"]),
            AttemptNumber = fields.TryGetValue("att", out var attempt) ? (int)attempt : null,
            Result = result,
            CreatedAt = FromTicks(fields["at"]),
        };
    }

    // 32 hex digits; compared as text by the claim script. A key written before fingerprints were 128-bit reads as the
    // empty fingerprint, which matches no request.
    private static string FingerprintText(Guid fingerprint) => fingerprint.ToString("N");

    private static DateTimeOffset FromTicks(RedisValue ticks) =>
        new(long.Parse((string)ticks!, NumberStyles.None, CultureInfo.InvariantCulture), TimeSpan.Zero);
}
