namespace Commerce.Redis.Inventory;

/// <summary>
/// The Lua of the Redis inventory store. Every script gets one key, <c>KEYS[1]</c>, the base of a shard
/// (<c>prefix inv:{n}:</c>), and builds the keys it touches from it, so that every key a script touches hashes to that
/// shard's slot. Fields are separated by spaces, which identifiers cannot hold; free text (reasons) always comes last.
/// </summary>
/// <remarks>
/// Keys under a shard base B: <c>B s SKU LOC</c> stock hash (on, rs, bo); <c>B m SKU</c> movement ledger (list, the
/// index is the sequence); <c>B r ID</c> reservation hash; <c>B due</c> active reservations by deadline;
/// <c>B fin</c> finished ones by finish time; <c>B pnd</c> multi-shard reservations not yet confirmed, by server-time
/// deadline; <c>B stl</c> multi-shard reservations whose final state is decided but not yet applied to every shard;
/// <c>B h</c> holds of multi-shard reservations; <c>B x ID TOKEN</c> tombstones of rolled-back attempts;
/// <c>B c KEY</c> stock-change records and <c>B a KEY</c> stock-change markers; <c>B cfin</c> both by time;
/// <c>B om</c>, <c>B oq</c>, <c>B ov</c>, <c>B od</c>, <c>B oseq</c> the outbox. Times are microseconds since the Unix
/// epoch (exact in a Lua number up to the year 2255) in the caller's clock, except the <c>pnd</c> and <c>stl</c>
/// scores, which are the server's milliseconds (the recovery of a crashed caller cannot depend on that caller's clock).
/// </remarks>
internal static class InventoryScripts
{
    private const string Prelude = """
        local B = KEYS[1]
        local ev_on = false
        local function skey(sku, loc) return B .. 's ' .. sku .. ' ' .. loc end
        local function move(sku, loc, kind, on, rs, at, ref, reason)
          redis.call('RPUSH', B .. 'm ' .. sku, kind .. ' ' .. loc .. ' ' .. on .. ' ' .. rs .. ' ' .. at .. ' ' .. ref .. ' ' .. reason)
        end
        local function emit(entry)
          if not ev_on then return end
          local pos = redis.call('INCR', B .. 'oseq')
          redis.call('HSET', B .. 'om', pos, entry)
          redis.call('ZADD', B .. 'oq', pos, pos)
        end
        local function emit_reservation(id, state, at, exp, lines)
          emit('r ' .. at .. ' ' .. id .. ' ' .. state .. ' ' .. exp .. ' ' .. lines)
        end
        local function words(s)
          local t = {}
          for w in string.gmatch(s, '%S+') do t[#t + 1] = w end
          return t
        end
        local function server_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function apply_change(key, now, kind, qty, sku, loc, reason)
          local k = skey(sku, loc)
          local s = redis.call('HMGET', k, 'on', 'rs', 'bo')
          local on, rs, bo = 0, 0, 0
          local q = tonumber(qty)
          if not s[1] then
            if kind == '1' and q < 0 then
              return nil, sku .. ' has no stock at ' .. loc .. ' to take ' .. (-q) .. ' units from.'
            end
          else
            on, rs, bo = tonumber(s[1]), tonumber(s[2]), tonumber(s[3])
          end
          local delta = q
          if kind == '2' then delta = q - on end
          local newon = on + delta
          if kind == '1' then
            if newon < 0 then
              return nil, sku .. ' at ' .. loc .. ' has ' .. on .. ' on hand; removing ' .. (-q) .. ' would go below zero.'
            end
            if q < 0 and newon - rs + bo < 0 then
              return nil, sku .. ' at ' .. loc .. ' has ' .. rs .. ' units reserved; removing ' .. (-q) ..
                ' would break live reservations. Release them first or sync the counted figure.'
            end
          end
          if not s[1] then redis.call('HSET', k, 'on', 0, 'rs', 0, 'bo', 0) end
          redis.call('HINCRBY', k, 'on', delta)
          local kindname = 'adjust'
          if kind == '2' then kindname = 'sync' end
          move(sku, loc, kind, delta, 0, now, key, reason)
          emit('s ' .. now .. ' ' .. sku .. '@' .. loc .. ' ' .. kindname .. ' ' .. delta .. ' ' .. newon .. ' ' .. rs .. ' ' .. key .. ' ' .. reason)
          return {newon, rs, bo}
        end
        local function release_lines(l, target, at, id, reason)
          local w = words(l)
          for i = 1, #w, 3 do
            local k = skey(w[i], w[i + 1])
            redis.call('HINCRBY', k, 'rs', -tonumber(w[i + 2]))
            local on = '0'
            if target == '1' then
              redis.call('HINCRBY', k, 'on', -tonumber(w[i + 2]))
              on = '-' .. w[i + 2]
            end
            move(w[i], w[i + 1], tostring(tonumber(target) + 3), on, '-' .. w[i + 2], at, id, reason)
          end
        end
        local reasons = { ['1'] = 'committed', ['2'] = 'released', ['3'] = 'expired' }

        """;

    /// <summary>
    /// Reserves every line in one step (all keys in one shard). ARGV: id, fingerprint, now, expires, events, line count,
    /// then sku, location, quantity per line. Returns {0} held, {1, state, created, expires, lines} replay, {2} id reused,
    /// {3, line} unknown SKU, {4, reservable...} insufficient, {5} another attempt is in progress.
    /// </summary>
    public const string Reserve = Prelude + """
        local id, fp, now, exp = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        ev_on = ARGV[5] == '1'
        local n = tonumber(ARGV[6])
        local r = B .. 'r ' .. id
        local cur = redis.call('HMGET', r, 'fp', 'st', 'c', 'e', 'l')
        if cur[1] then
          if cur[1] ~= fp then return {2} end
          if cur[2] == 'p' or cur[2] == 'x' then return {5} end
          return {1, cur[2], cur[3], cur[4], cur[5]}
        end
        local avail = {4}
        local short = false
        for i = 1, n do
          local o = 4 + 3 * i
          local s = redis.call('HMGET', skey(ARGV[o], ARGV[o + 1]), 'on', 'rs', 'bo')
          if not s[1] then return {3, i} end
          local a = tonumber(s[1]) - tonumber(s[2]) + tonumber(s[3])
          avail[i + 1] = a
          if a < tonumber(ARGV[o + 2]) then short = true end
        end
        if short then return avail end
        local parts = {}
        for i = 1, n do
          local o = 4 + 3 * i
          redis.call('HINCRBY', skey(ARGV[o], ARGV[o + 1]), 'rs', ARGV[o + 2])
          move(ARGV[o], ARGV[o + 1], '3', '0', ARGV[o + 2], now, id, 'reserved')
          parts[i] = ARGV[o] .. ' ' .. ARGV[o + 1] .. ' ' .. ARGV[o + 2]
        end
        local lines = table.concat(parts, ' ')
        redis.call('HSET', r, 'fp', fp, 'st', '0', 'c', now, 'e', exp, 'l', lines)
        redis.call('ZADD', B .. 'due', exp, id)
        emit_reservation(id, '0', now, exp, lines)
        return {0}
        """;

    /// <summary>
    /// Commits (target 1) or releases (target 2). ARGV: id, now, target, events. Returns {code, state, created, expires,
    /// lines, unsettled, token}: code 0 done, 1 replay, 2 not active, 3 expired, 4 not found. For a multi-shard reservation
    /// the state is decided here and <c>unsettled</c> is 1 until the caller has applied it on every shard.
    /// </summary>
    public const string Finish = Prelude + """
        local id, now, target = ARGV[1], ARGV[2], ARGV[3]
        ev_on = ARGV[4] == '1'
        local r = B .. 'r ' .. id
        local cur = redis.call('HMGET', r, 'st', 'c', 'e', 'l', 'h', 'o', 'tok')
        local st = cur[1]
        if not st or st == 'p' or st == 'x' then return {4} end
        local function out(code, s)
          local o = 0
          if cur[6] == '1' then o = 1 end
          return {code, s, cur[2], cur[3], cur[4], o, cur[7] or ''}
        end
        if target == '1' then
          if st == '1' then return out(1, st) end
          if st == '2' then return out(2, st) end
          if st == '3' or tonumber(now) >= tonumber(cur[3]) then return out(3, st) end
        else
          if st == '2' or st == '3' then return out(1, st) end
          if st == '1' then return out(2, st) end
        end
        if cur[5] == '1' then
          redis.call('HSET', r, 'st', target, 'f', now, 'o', '1')
          redis.call('ZADD', B .. 'stl', server_ms(), id)
          cur[6] = '1'
        else
          release_lines(cur[4], target, now, id, reasons[target])
          redis.call('HSET', r, 'st', target, 'f', now)
        end
        redis.call('ZREM', B .. 'due', id)
        redis.call('ZADD', B .. 'fin', now, id)
        emit_reservation(id, target, now, cur[3], cur[4])
        return out(0, target)
        """;

    /// <summary>
    /// Moves a deadline later. ARGV: id, expires, now. Returns {code, state, created, expires, lines}: 0 done, 2 not
    /// active, 3 expired, 4 not found.
    /// </summary>
    public const string Extend = Prelude + """
        local id, exp, now = ARGV[1], ARGV[2], ARGV[3]
        local r = B .. 'r ' .. id
        local cur = redis.call('HMGET', r, 'st', 'c', 'e', 'l')
        local st = cur[1]
        if not st or st == 'p' or st == 'x' then return {4} end
        if st == '3' or (st == '0' and tonumber(now) >= tonumber(cur[3])) then return {3, st, cur[2], cur[3], cur[4]} end
        if st ~= '0' then return {2, st, cur[2], cur[3], cur[4]} end
        if tonumber(exp) > tonumber(cur[3]) then
          redis.call('HSET', r, 'e', exp)
          redis.call('ZADD', B .. 'due', exp, id)
          cur[3] = exp
        end
        return {0, st, cur[2], cur[3], cur[4]}
        """;

    /// <summary>
    /// One sweep of one shard. ARGV: now, max, events, reap-before, settle grace (ms). Expires due reservations (a
    /// single-shard one completely; a multi-shard one is decided and returned for the caller to apply), returns
    /// multi-shard attempts that outlived their pending deadline for the caller to roll back, and decided-but-unapplied
    /// ones left by a crashed caller, and deletes what outlived retention. Returns {expired, n, (id, state, lines,
    /// token) * n, m, (id, lines, token) * m}.
    /// </summary>
    public const string Expire = Prelude + """
        local now, max = ARGV[1], tonumber(ARGV[2])
        ev_on = ARGV[3] == '1'
        local ms = server_ms()
        local count = 0
        local settle = {}
        local abort = {}
        local ids = redis.call('ZRANGEBYSCORE', B .. 'due', '-inf', now, 'LIMIT', 0, max)
        for _, id in ipairs(ids) do
          local r = B .. 'r ' .. id
          local cur = redis.call('HMGET', r, 'st', 'e', 'l', 'h', 'tok')
          if cur[1] == '0' and tonumber(cur[2]) <= tonumber(now) then
            if cur[4] == '1' then
              redis.call('HSET', r, 'st', '3', 'f', now, 'o', '1')
              redis.call('ZADD', B .. 'stl', ms, id)
              settle[#settle + 1] = id; settle[#settle + 1] = '3'; settle[#settle + 1] = cur[3]; settle[#settle + 1] = cur[5]
            else
              release_lines(cur[3], '3', now, id, 'expired')
              redis.call('HSET', r, 'st', '3', 'f', now)
            end
            redis.call('ZADD', B .. 'fin', now, id)
            emit_reservation(id, '3', now, cur[2], cur[3])
            count = count + 1
            redis.call('ZREM', B .. 'due', id)
          elseif cur[1] ~= '0' then
            redis.call('ZREM', B .. 'due', id)
          end
        end
        local stale = redis.call('ZRANGEBYSCORE', B .. 'stl', '-inf', ms - tonumber(ARGV[5]), 'LIMIT', 0, max)
        for _, id in ipairs(stale) do
          local cur = redis.call('HMGET', B .. 'r ' .. id, 'st', 'l', 'tok', 'o')
          if cur[4] == '1' then
            redis.call('ZADD', B .. 'stl', ms, id)
            settle[#settle + 1] = id; settle[#settle + 1] = cur[1]; settle[#settle + 1] = cur[2]; settle[#settle + 1] = cur[3]
          else
            redis.call('ZREM', B .. 'stl', id)
          end
        end
        local pend = redis.call('ZRANGEBYSCORE', B .. 'pnd', '-inf', ms, 'LIMIT', 0, max)
        for _, id in ipairs(pend) do
          local r = B .. 'r ' .. id
          local cur = redis.call('HMGET', r, 'st', 'l', 'tok')
          if cur[1] == 'p' or cur[1] == 'x' then
            redis.call('HSET', r, 'st', 'x')
            redis.call('ZADD', B .. 'pnd', ms + tonumber(ARGV[5]), id)
            abort[#abort + 1] = id; abort[#abort + 1] = cur[2]; abort[#abort + 1] = cur[3]
          else
            redis.call('ZREM', B .. 'pnd', id)
          end
        end
        local old = redis.call('ZRANGEBYSCORE', B .. 'fin', '-inf', ARGV[4], 'LIMIT', 0, max)
        for _, id in ipairs(old) do
          if redis.call('HGET', B .. 'r ' .. id, 'o') ~= '1' then
            redis.call('DEL', B .. 'r ' .. id)
            redis.call('ZREM', B .. 'fin', id)
          end
        end
        local oldc = redis.call('ZRANGEBYSCORE', B .. 'cfin', '-inf', ARGV[4], 'LIMIT', 0, max)
        for _, member in ipairs(oldc) do
          redis.call('DEL', B .. member)
          redis.call('ZREM', B .. 'cfin', member)
        end
        local result = {count, #settle / 4}
        for _, v in ipairs(settle) do result[#result + 1] = v end
        result[#result + 1] = #abort / 3
        for _, v in ipairs(abort) do result[#result + 1] = v end
        return result
        """;

    /// <summary>
    /// Applies a stock change whose key record and stock share this shard. ARGV: key, fingerprint, now, kind, quantity,
    /// sku, location, events, reason. Returns {0, on, reserved, backorder}, {1, ...} replay, {2} key reused, {8, message}.
    /// </summary>
    public const string ChangeStock = Prelude + """
        ev_on = ARGV[8] == '1'
        local c = B .. 'c ' .. ARGV[1]
        local prev = redis.call('HMGET', c, 'fp', 'on', 'rs', 'bo')
        if prev[1] then
          if prev[1] ~= ARGV[2] then return {2} end
          if prev[2] then return {1, tonumber(prev[2]), tonumber(prev[3]), tonumber(prev[4])} end
        end
        local level, err = apply_change(ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[9])
        if not level then return {8, err} end
        redis.call('HSET', c, 'fp', ARGV[2], 'on', level[1], 'rs', level[2], 'bo', level[3])
        redis.call('ZADD', B .. 'cfin', ARGV[3], 'c ' .. ARGV[1])
        return {0, level[1], level[2], level[3]}
        """;

    /// <summary>
    /// Claims a stock-change key in its own shard (the stock lives in another). ARGV: key, fingerprint, now. Returns {0}
    /// go on, {1, on, reserved, backorder} replay, {2} key reused. The claim keeps the fingerprint, so the key can never
    /// be applied with another body, even if the caller dies before the stock step.
    /// </summary>
    public const string ClaimChange = Prelude + """
        local c = B .. 'c ' .. ARGV[1]
        local prev = redis.call('HMGET', c, 'fp', 'on', 'rs', 'bo')
        if prev[1] then
          if prev[1] ~= ARGV[2] then return {2} end
          if prev[2] then return {1, tonumber(prev[2]), tonumber(prev[3]), tonumber(prev[4])} end
          return {0}
        end
        redis.call('HSET', c, 'fp', ARGV[2])
        redis.call('ZADD', B .. 'cfin', ARGV[3], 'c ' .. ARGV[1])
        return {0}
        """;

    /// <summary>
    /// Applies a claimed stock change in the stock's shard, once per key (a marker remembers the outcome). ARGV as
    /// <see cref="ChangeStock"/>. Returns as <see cref="ChangeStock"/>.
    /// </summary>
    public const string ApplyChange = Prelude + """
        ev_on = ARGV[8] == '1'
        local a = B .. 'a ' .. ARGV[1]
        local prev = redis.call('HMGET', a, 'fp', 'on', 'rs', 'bo')
        if prev[1] then
          if prev[1] ~= ARGV[2] then return {2} end
          return {1, tonumber(prev[2]), tonumber(prev[3]), tonumber(prev[4])}
        end
        local level, err = apply_change(ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[9])
        if not level then return {8, err} end
        redis.call('HSET', a, 'fp', ARGV[2], 'on', level[1], 'rs', level[2], 'bo', level[3])
        redis.call('ZADD', B .. 'cfin', ARGV[3], 'a ' .. ARGV[1])
        return {0, level[1], level[2], level[3]}
        """;

    /// <summary>Sets a backorder limit. ARGV: sku, location, limit. Returns {} for an unknown SKU, else {on, reserved, backorder}.</summary>
    public const string SetBackorderLimit = Prelude + """
        local k = skey(ARGV[1], ARGV[2])
        if redis.call('EXISTS', k) == 0 then return {} end
        redis.call('HSET', k, 'bo', ARGV[3])
        local s = redis.call('HMGET', k, 'on', 'rs', 'bo')
        return {tonumber(s[1]), tonumber(s[2]), tonumber(s[3])}
        """;

    /// <summary>
    /// Step 1 of a multi-shard reservation, in the id's shard: records the attempt as pending. ARGV: id, fingerprint, now,
    /// expires, token, lines, pending timeout (ms). Returns as <see cref="Reserve"/> ({0} means go on and hold).
    /// </summary>
    public const string Begin = Prelude + """
        local id, fp = ARGV[1], ARGV[2]
        local r = B .. 'r ' .. id
        local cur = redis.call('HMGET', r, 'fp', 'st', 'c', 'e', 'l')
        if cur[1] then
          if cur[1] ~= fp then return {2} end
          if cur[2] == 'p' or cur[2] == 'x' then return {5} end
          return {1, cur[2], cur[3], cur[4], cur[5]}
        end
        redis.call('HSET', r, 'fp', fp, 'st', 'p', 'c', ARGV[3], 'e', ARGV[4], 'tok', ARGV[5], 'l', ARGV[6], 'h', '1')
        redis.call('ZADD', B .. 'pnd', server_ms() + tonumber(ARGV[7]), id)
        return {0}
        """;

    /// <summary>
    /// Step 2, in each stock shard: holds this shard's lines for the attempt, all or none, once. ARGV: id, token, now, line
    /// count, then sku, location, quantity per line. Returns {0, reservable...} held (reservable before the hold),
    /// {3, line} unknown SKU, {4, reservable...} insufficient, {6} the attempt was rolled back, {7} another attempt holds.
    /// </summary>
    public const string Hold = Prelude + """
        local id, token, now = ARGV[1], ARGV[2], ARGV[3]
        local n = tonumber(ARGV[4])
        if redis.call('EXISTS', B .. 'x ' .. id .. ' ' .. token) == 1 then return {6} end
        local h = redis.call('HGET', B .. 'h', id)
        if h then
          if words(h)[1] == token then return {0} end
          return {7}
        end
        local avail = {}
        local short = false
        for i = 1, n do
          local o = 2 + 3 * i
          local s = redis.call('HMGET', skey(ARGV[o], ARGV[o + 1]), 'on', 'rs', 'bo')
          if not s[1] then return {3, i} end
          local a = tonumber(s[1]) - tonumber(s[2]) + tonumber(s[3])
          avail[i + 1] = a
          if a < tonumber(ARGV[o + 2]) then short = true end
        end
        if short then avail[1] = 4; return avail end
        local parts = {token}
        for i = 1, n do
          local o = 2 + 3 * i
          redis.call('HINCRBY', skey(ARGV[o], ARGV[o + 1]), 'rs', ARGV[o + 2])
          move(ARGV[o], ARGV[o + 1], '3', '0', ARGV[o + 2], now, id, 'reserved')
          parts[#parts + 1] = ARGV[o] .. ' ' .. ARGV[o + 1] .. ' ' .. ARGV[o + 2]
        end
        redis.call('HSET', B .. 'h', id, table.concat(parts, ' '))
        avail[1] = 0
        return avail
        """;

    /// <summary>Step 3, in the id's shard: the attempt becomes an active reservation. ARGV: id, token, events. Returns {0} or {6} rolled back.</summary>
    public const string Confirm = Prelude + """
        local id = ARGV[1]
        ev_on = ARGV[3] == '1'
        local r = B .. 'r ' .. id
        local cur = redis.call('HMGET', r, 'st', 'tok', 'c', 'e', 'l')
        if cur[1] ~= 'p' or cur[2] ~= ARGV[2] then return {6} end
        redis.call('HSET', r, 'st', '0')
        redis.call('ZREM', B .. 'pnd', id)
        redis.call('ZADD', B .. 'due', cur[4], id)
        emit_reservation(id, '0', cur[3], cur[4], cur[5])
        return {0}
        """;

    /// <summary>
    /// Rolls an attempt back in one stock shard, once, and leaves a tombstone so that a hold of that attempt arriving late
    /// is refused. ARGV: id, token, now, tombstone lifetime (ms).
    /// </summary>
    public const string Unhold = Prelude + """
        local id, token, now = ARGV[1], ARGV[2], ARGV[3]
        redis.call('SET', B .. 'x ' .. id .. ' ' .. token, '1', 'PX', ARGV[4])
        local h = redis.call('HGET', B .. 'h', id)
        if not h then return 0 end
        local w = words(h)
        if w[1] ~= token then return 0 end
        for i = 2, #w, 3 do
          redis.call('HINCRBY', skey(w[i], w[i + 1]), 'rs', -tonumber(w[i + 2]))
          move(w[i], w[i + 1], '5', '0', '-' .. w[i + 2], now, id, 'rolled back')
        end
        redis.call('HDEL', B .. 'h', id)
        return 1
        """;

    /// <summary>Deletes a rolled-back attempt in the id's shard, freeing the id for a retry. ARGV: id, token.</summary>
    public const string Abort = Prelude + """
        local r = B .. 'r ' .. ARGV[1]
        local cur = redis.call('HMGET', r, 'st', 'tok')
        if (cur[1] == 'p' or cur[1] == 'x') and cur[2] == ARGV[2] then
          redis.call('DEL', r)
          redis.call('ZREM', B .. 'pnd', ARGV[1])
          return 1
        end
        return 0
        """;

    /// <summary>
    /// Applies a decided final state in one stock shard, once: the hold goes, and committed units leave on-hand.
    /// ARGV: id, token, target state, now.
    /// </summary>
    public const string Settle = Prelude + """
        local id, token, target, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local h = redis.call('HGET', B .. 'h', id)
        if not h then return 0 end
        local w = words(h)
        if w[1] ~= token then return 0 end
        for i = 2, #w, 3 do
          local k = skey(w[i], w[i + 1])
          redis.call('HINCRBY', k, 'rs', -tonumber(w[i + 2]))
          local on = '0'
          if target == '1' then
            redis.call('HINCRBY', k, 'on', -tonumber(w[i + 2]))
            on = '-' .. w[i + 2]
          end
          move(w[i], w[i + 1], tostring(tonumber(target) + 3), on, '-' .. w[i + 2], now, id, reasons[target])
        end
        redis.call('HDEL', B .. 'h', id)
        return 1
        """;

    /// <summary>Marks a decided state as applied everywhere. ARGV: id.</summary>
    public const string Settled = Prelude + """
        redis.call('HDEL', B .. 'r ' .. ARGV[1], 'o')
        redis.call('ZREM', B .. 'stl', ARGV[1])
        return 1
        """;

    /// <summary>
    /// Claims up to max outbox messages in position order, leasing them. A message waiting for a retry holds back the ones
    /// behind it, which keeps the order. ARGV: now (ms), lease (ms), max. Returns {position, attempts, entry} * n.
    /// </summary>
    public const string ClaimOutbox = """
        local B = KEYS[1]
        local now, lease, max = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
        local out = {}
        local taken = 0
        local positions = redis.call('ZRANGE', B .. 'oq', 0, max + 255)
        for _, pos in ipairs(positions) do
          if taken >= max then break end
          local v = redis.call('HGET', B .. 'ov', pos)
          local visible, attempts, failed = 0, 0, '0'
          if v then
            local w = {}
            for x in string.gmatch(v, '%S+') do w[#w + 1] = x end
            visible, attempts, failed = tonumber(w[1]), tonumber(w[2]), w[3]
          end
          if visible > now then
            if failed == '1' then break end
          else
            redis.call('HSET', B .. 'ov', pos, (now + tonumber(lease)) .. ' ' .. attempts .. ' 0')
            out[#out + 1] = tonumber(pos); out[#out + 1] = attempts; out[#out + 1] = redis.call('HGET', B .. 'om', pos)
            taken = taken + 1
          end
        end
        return out
        """;

    /// <summary>Deletes published messages. ARGV: positions.</summary>
    public const string PublishedOutbox = """
        local B = KEYS[1]
        for i = 1, #ARGV do
          redis.call('ZREM', B .. 'oq', ARGV[i])
          redis.call('HDEL', B .. 'om', ARGV[i])
          redis.call('HDEL', B .. 'ov', ARGV[i])
        end
        return #ARGV
        """;

    /// <summary>Records a failed attempt. ARGV: position, retry at (ms), attempts, dead-letter flag, error.</summary>
    public const string FailedOutbox = """
        local B = KEYS[1]
        local pos = ARGV[1]
        if redis.call('ZSCORE', B .. 'oq', pos) == false then return 0 end
        if ARGV[4] == '1' then
          redis.call('HSET', B .. 'od', pos, ARGV[3] .. ' ' .. redis.call('HGET', B .. 'om', pos) .. '\n' .. ARGV[5])
          redis.call('ZREM', B .. 'oq', pos)
          redis.call('HDEL', B .. 'om', pos)
          redis.call('HDEL', B .. 'ov', pos)
        else
          redis.call('HSET', B .. 'ov', pos, ARGV[2] .. ' ' .. ARGV[3] .. ' 1')
        end
        return 1
        """;
}
