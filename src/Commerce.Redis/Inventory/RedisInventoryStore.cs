using System.Globalization;
using System.Runtime.CompilerServices;
using Commerce.Events;
using Commerce.Inventory;
using Commerce.Inventory.Storage;
using StackExchange.Redis;

namespace Commerce.Redis.Inventory;

/// <summary>
/// The inventory store on Redis or Redis Cluster: every operation is a Lua script (sent once, then run by EVALSHA) that
/// checks and changes stock, appends the ledger and writes the outbox event atomically. Keys carry a hash tag per shard
/// (<c>{n}</c>): a SKU's stock, ledger and stock events live in the SKU's shard, a reservation in its id's shard, so an
/// operation whose keys share a shard is one script, which on a standalone Redis is every operation.
/// </summary>
/// <remarks>
/// On a cluster, a reservation whose lines and id fall in different shards runs as steps, each one script in one shard:
/// record the attempt as pending (id's shard), hold every shard's lines (all or none per shard, idempotent per attempt),
/// confirm (id's shard). A shard that cannot hold makes the caller roll back the held shards (leaving tombstones so a
/// late hold of that attempt is refused) and delete the attempt, so callers see all or nothing. A caller that dies
/// between steps leaves a pending attempt that the sweeper (<see cref="ExpireAsync"/>) rolls back after
/// <see cref="RedisInventoryOptions.PendingTimeout"/>; until then the units stay held and the reservation is invisible.
/// Commit, release and expiry of such a reservation are decided in the id's shard, then applied per shard once; a
/// decision a crashed caller left unapplied is applied by the sweeper after <see cref="RedisInventoryOptions.SettleGrace"/>.
/// </remarks>
public sealed partial class RedisInventoryStore : IInventoryStore
{
    private static readonly long UnixEpochTicks = DateTimeOffset.UnixEpoch.UtcTicks;

    private readonly IDatabase _db;
    private readonly RedisInventoryOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly RedisKey[][] _shardKeys;
    private readonly RedisValue _events;
    private readonly int _shards;

    /// <summary>Creates the store over a connection.</summary>
    /// <param name="redis">The connection (standalone or cluster).</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="timeProvider">The clock the outbox leases and retries with. Default <see cref="TimeProvider.System"/>.</param>
    public RedisInventoryStore(IConnectionMultiplexer redis, RedisInventoryOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _options = options ?? new RedisInventoryOptions();
        if (_options.KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException("The key prefix may not contain braces.", nameof(options));
        }

        _db = redis.GetDatabase();
        _timeProvider = timeProvider ?? TimeProvider.System;
        IsCluster = redis.GetEndPoints().Any(e => redis.GetServer(e).ServerType == ServerType.Cluster);
        _shards = _options.Shards > 0 ? _options.Shards : IsCluster ? 64 : 1;
        _shardKeys = new RedisKey[_shards][];
        for (var i = 0; i < _shards; i++)
        {
            _shardKeys[i] = [new RedisKey($"{_options.KeyPrefix}inv:{{{i.ToString(CultureInfo.InvariantCulture)}}}:")];
        }

        _events = _options.RecordEvents ? "1" : "0";
        Outbox = new RedisInventoryOutbox(_db, _shardKeys, _timeProvider);
    }

    /// <summary>The outbox the store writes its events to.</summary>
    public IOutboxStore Outbox { get; }

    /// <summary>Whether the connection is to a Redis Cluster.</summary>
    public bool IsCluster { get; }

    /// <summary>How many shards the keys are spread over.</summary>
    public int Shards => _shards;

    /// <inheritdoc />
    public async ValueTask<StockLevel?> GetStockAsync(Sku sku, LocationId location, CancellationToken cancellationToken)
    {
        var values = await _db.HashGetAsync(StockKey(sku, location), StockFields).ConfigureAwait(false);
        return values[0].IsNull ? null : new StockLevel(sku, location, (long)values[0], (long)values[1], (long)values[2]);
    }

    /// <inheritdoc />
    public async ValueTask<StockLevel> SetBackorderLimitAsync(Sku sku, LocationId location, long limit, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await EvalAsync(ShardOf(sku), InventoryScripts.SetBackorderLimit, [sku.Value, location.Value, limit]).ConfigureAwait(false))!;
        if (result.Length == 0)
        {
            throw UnknownSku(sku, location);
        }

        return new StockLevel(sku, location, (long)result[0], (long)result[1], (long)result[2]);
    }

    /// <inheritdoc />
    public async ValueTask<StockChangeResult> ApplyStockChangeAsync(StockChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var stockShard = ShardOf(change.Sku);
        var keyShard = ShardOf(change.IdempotencyKey.Value);
        RedisValue[] args =
        [
            change.IdempotencyKey.Value, change.Fingerprint.ToString("N"), Micros(change.Now), (int)change.Kind, change.Quantity,
            change.Sku.Value, change.Location.Value, _events, change.Reason,
        ];
        RedisResult[] result;
        if (keyShard == stockShard)
        {
            result = (RedisResult[])(await EvalAsync(stockShard, InventoryScripts.ChangeStock, args).ConfigureAwait(false))!;
        }
        else
        {
            // The key is claimed (with its fingerprint, for good) in its own shard first, so no other body can use it;
            // the stock shard then applies it once, remembering the outcome, so a retry after a crash replays it.
            var claim = (RedisResult[])(await EvalAsync(keyShard, InventoryScripts.ClaimChange, [args[0], args[1], args[2]]).ConfigureAwait(false))!;
            result = (int)claim[0] == 0
                ? (RedisResult[])(await EvalAsync(stockShard, InventoryScripts.ApplyChange, args).ConfigureAwait(false))!
                : claim;
        }

        switch ((int)result[0])
        {
            case 2:
                throw new CommerceValidationException(InventoryErrorCodes.IdempotencyKeyReused,
                    $"Idempotency key '{change.IdempotencyKey}' was already used for a different stock change.", "IdempotencyKey");
            case 8:
                throw new CommerceValidationException(InventoryErrorCodes.InvalidAdjustment, (string)result[1]!, "Quantity");
        }

        var level = new StockLevel(change.Sku, change.Location, (long)result[1], (long)result[2], (long)result[3]);
        return new StockChangeResult(level, IsReplay: (int)result[0] == 1);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StockMovement> ReadMovementsAsync(Sku sku, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var key = Key(ShardOf(sku), "m ", sku.Value);
        const int Page = 1_000;
        for (long start = 0; ; start += Page)
        {
            var entries = await _db.ListRangeAsync(key, start, start + Page - 1).ConfigureAwait(false);
            for (var i = 0; i < entries.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return ParseMovement(start + i + 1, sku, entries[i]!);
            }

            if (entries.Length < Page)
            {
                yield break;
            }
        }
    }

    private static StockMovement ParseMovement(long sequence, Sku sku, string entry)
    {
        // kind loc on rs at ref reason...
        var parts = entry.Split(' ', 7);
        return new StockMovement(
            sequence,
            sku,
            new LocationId(parts[1]),
            (StockMovementKind)int.Parse(parts[0], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            long.Parse(parts[3], CultureInfo.InvariantCulture),
            parts[6],
            parts[5],
            FromMicros(long.Parse(parts[4], CultureInfo.InvariantCulture)));
    }

    private static readonly RedisValue[] StockFields = ["on", "rs", "bo"];

    private Task<RedisResult> EvalAsync(int shard, string script, RedisValue[] args) =>
        _db.ScriptEvaluateAsync(script, _shardKeys[shard], args);

    private RedisKey StockKey(Sku sku, LocationId location) =>
        Key(ShardOf(sku), "s ", string.Concat(sku.Value, " ", location.Value));

    private RedisKey Key(int shard, string kind, string name) => _shardKeys[shard][0].Append(string.Concat(kind, name));

    internal int ShardOf(Sku sku) => ShardOf(sku.Value);

    internal int ShardOf(ReservationId id) => ShardOf(id.Value);

    /// <summary>FNV-1a over the identifier's characters (printable ASCII): stable across processes and versions.</summary>
    internal int ShardOf(string value)
    {
        if (_shards == 1)
        {
            return 0;
        }

        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)_shards);
    }

    internal static long Micros(DateTimeOffset time) => (time.UtcTicks - UnixEpochTicks) / TimeSpan.TicksPerMicrosecond;

    internal static DateTimeOffset FromMicros(long micros) => new(UnixEpochTicks + (micros * TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);

    private static CommerceValidationException UnknownSku(Sku sku, LocationId location) =>
        new(InventoryErrorCodes.UnknownSku, $"{sku} has no stock record at {location}.", "Sku");
}
