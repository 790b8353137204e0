namespace Commerce.Redis.Gate;

/// <summary>
/// The Lua of the hot-SKU gate. <c>KEYS[1]</c> is the base of a SKU (<c>prefix gate:{sku}:</c>); under it, per location,
/// <c>h LOC</c> holds the units the gate may still admit (t), a version bumped by every completed change (v), the epoch
/// of this copy of the gate (ep) and when it last agreed with the source of truth (s, server ms); <c>i LOC</c> holds the
/// admissions in flight (member op id, score server ms); <c>a ID</c> marks reservation ids the gate has admitted.
/// </summary>
internal static class GateScripts
{
    private const string Prelude = """
        local G = KEYS[1]
        local function server_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end

        """;

    /// <summary>
    /// Takes units for one line. ARGV: location, reservation id, quantity, op id, verify interval (ms), admitted-mark
    /// lifetime (ms). Returns {1, epoch, units before} admitted, {0, units, stale} refused (stale 1: the count has not
    /// been checked against the truth for longer than the verify interval), {2} the id was admitted before (let the truth
    /// answer the replay), {-1} no gate for this line yet.
    /// </summary>
    public const string Admit = Prelude + """
        local h = G .. 'h ' .. ARGV[1]
        if redis.call('EXISTS', G .. 'a ' .. ARGV[2]) == 1 then return {2} end
        local g = redis.call('HMGET', h, 't', 'ep', 's')
        if not g[1] then return {-1} end
        local ms = server_ms()
        local t = tonumber(g[1])
        local q = tonumber(ARGV[3])
        if t < q then
          local stale = 0
          if ms - tonumber(g[3]) > tonumber(ARGV[5]) then stale = 1 end
          return {0, t, stale}
        end
        redis.call('HINCRBY', h, 't', -q)
        redis.call('ZADD', G .. 'i ' .. ARGV[1], ms, ARGV[4])
        redis.call('SET', G .. 'a ' .. ARGV[2], '1', 'PX', ARGV[6])
        return {1, g[2], t}
        """;

    /// <summary>
    /// Ends an admission once the truth answered. ARGV: location, epoch, op id, units to give back. An admission of an
    /// earlier epoch (the gate was rebuilt meanwhile) changes nothing.
    /// </summary>
    public const string End = Prelude + """
        local h = G .. 'h ' .. ARGV[1]
        redis.call('ZREM', G .. 'i ' .. ARGV[1], ARGV[3])
        if redis.call('HGET', h, 'ep') ~= ARGV[2] then return 0 end
        redis.call('HINCRBY', h, 'v', 1)
        if tonumber(ARGV[4]) > 0 then redis.call('HINCRBY', h, 't', ARGV[4]) end
        return 1
        """;

    /// <summary>Gives back units the truth returned (a release). ARGV: location, units.</summary>
    public const string Give = Prelude + """
        local h = G .. 'h ' .. ARGV[1]
        if redis.call('EXISTS', h) == 0 then return 0 end
        redis.call('HINCRBY', h, 'v', 1)
        redis.call('HINCRBY', h, 't', ARGV[2])
        return 1
        """;

    /// <summary>
    /// Sets the count from the truth. ARGV: location, reservable units read from the truth, the version read before
    /// (-1: the gate was missing), a new epoch, in-flight timeout (ms). Creates a missing gate; updates an existing one
    /// only if no admission is in flight and nothing completed since the version was read (else the read may be stale).
    /// Returns 1 set, 0 not set.
    /// </summary>
    public const string Sync = Prelude + """
        local h = G .. 'h ' .. ARGV[1]
        local i = G .. 'i ' .. ARGV[1]
        local ms = server_ms()
        local v = redis.call('HGET', h, 'v')
        if not v then
          if ARGV[3] ~= '-1' then return 0 end
          redis.call('DEL', i)
          redis.call('HSET', h, 't', ARGV[2], 'v', 0, 'ep', ARGV[4], 's', ms)
          return 1
        end
        redis.call('ZREMRANGEBYSCORE', i, '-inf', ms - tonumber(ARGV[5]))
        if v ~= ARGV[3] or redis.call('ZCARD', i) > 0 then
          redis.call('HSET', h, 's', 0)
          return 0
        end
        redis.call('HSET', h, 't', ARGV[2], 's', ms)
        return 1
        """;

    /// <summary>Deletes a gate that disagrees with the truth; the next request rebuilds it. ARGV: location.</summary>
    public const string Drop = """
        redis.call('DEL', KEYS[1] .. 'h ' .. ARGV[1], KEYS[1] .. 'i ' .. ARGV[1])
        return 1
        """;
}
