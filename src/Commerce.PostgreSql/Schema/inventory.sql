-- Commerce Engine inventory schema. Idempotent: safe to run on every start, from several instances at once (the
-- caller holds an advisory lock). {schema} is replaced by the configured schema name, validated as an identifier.
-- Every table keeps its partition key (sku for stock and movements, the reservation id for reservations) in its
-- primary key, and no table has a foreign key, so the tables can be distributed.

CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {schema}.inventory_stock (
    sku             text COLLATE "C" NOT NULL,
    location        text COLLATE "C" NOT NULL,
    on_hand         bigint NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved        bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    backorder_limit bigint NOT NULL DEFAULT 0 CHECK (backorder_limit >= 0),
    PRIMARY KEY (sku, location)
);

CREATE TABLE IF NOT EXISTS {schema}.inventory_reservations (
    id          text COLLATE "C" NOT NULL PRIMARY KEY,
    fingerprint uuid NOT NULL,
    state       smallint NOT NULL DEFAULT 0,   -- 0 active, 1 committed, 2 released, 3 expired
    skus        text[] NOT NULL,
    locations   text[] NOT NULL,
    quantities  bigint[] NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    finished_at timestamptz
);

CREATE INDEX IF NOT EXISTS inventory_reservations_due ON {schema}.inventory_reservations (expires_at) WHERE state = 0;

CREATE TABLE IF NOT EXISTS {schema}.inventory_movements (
    sku            text COLLATE "C" NOT NULL,
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    location       text COLLATE "C" NOT NULL,
    kind           smallint NOT NULL,   -- StockMovementKind
    on_hand_delta  bigint NOT NULL,
    reserved_delta bigint NOT NULL,
    reason         text NOT NULL,
    reference      text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    PRIMARY KEY (sku, seq)
);

CREATE TABLE IF NOT EXISTS {schema}.inventory_stock_changes (
    idempotency_key text COLLATE "C" NOT NULL PRIMARY KEY,
    fingerprint     uuid NOT NULL,
    sku             text NOT NULL,
    location        text NOT NULL,
    on_hand         bigint NOT NULL,
    reserved        bigint NOT NULL,
    backorder_limit bigint NOT NULL,
    created_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.inventory_outbox (
    position         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    event_type       text NOT NULL,
    stream_id        text NOT NULL,
    occurred_at      timestamptz NOT NULL,
    payload          jsonb NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    available_at     timestamptz NOT NULL DEFAULT '-infinity',
    published_at     timestamptz,
    dead_lettered_at timestamptz,
    last_error       text
);

CREATE INDEX IF NOT EXISTS inventory_outbox_pending ON {schema}.inventory_outbox (position)
    WHERE published_at IS NULL AND dead_lettered_at IS NULL;

-- Reserves a batch of requests in one call. Requests are admitted in order, each all or nothing; the stock rows of
-- the whole batch are locked once, in (sku, location) order, so concurrent batches cannot deadlock, and a hot SKU
-- gets one UPDATE per batch however many requests it admits. Request q owns lines
-- first_line[q] .. first_line[q] + p_line_counts[q] - 1 of the flattened line arrays.
-- o_status: 0 reserved, 1 replay, 2 id reused with another request, 3 unknown SKU, 4 insufficient stock.
CREATE OR REPLACE FUNCTION {schema}.inventory_reserve(
    p_now timestamptz, p_ids text[], p_fingerprints uuid[], p_expires timestamptz[],
    p_line_counts int[], p_skus text[], p_locations text[], p_quantities bigint[], p_events boolean)
RETURNS TABLE (o_req int, o_status smallint, o_state smallint, o_created_at timestamptz, o_expires_at timestamptz,
               o_skus text[], o_locations text[], o_quantities bigint[], o_available bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
    n int := cardinality(p_ids);
    first_line int[] := array_fill(0, ARRAY[n]);
    outcome smallint[] := array_fill(0::smallint, ARRAY[n]);
    keys text[];
    avail bigint[];
    line_key int[];
    line_avail bigint[] := array_fill(NULL::bigint, ARRAY[cardinality(p_skus)]);
    admitted int[] := '{}';
    inserted int[];
    pos int := 1;
    ok boolean;
    rec record;
BEGIN
    FOR q IN 1 .. n LOOP
        first_line[q] := pos;
        pos := pos + p_line_counts[q];
    END LOOP;

    -- Lock every stock row of the batch, in one global order.
    SELECT coalesce(array_agg(l.k ORDER BY l.sku, l.location), '{}'), coalesce(array_agg(l.a ORDER BY l.sku, l.location), '{}')
      INTO keys, avail
      FROM (SELECT st.sku, st.location, st.sku || E'\x1f' || st.location AS k,
                   st.on_hand - st.reserved + st.backorder_limit AS a
              FROM {schema}.inventory_stock st
             WHERE (st.sku, st.location) IN (SELECT u.sku, u.loc FROM unnest(p_skus, p_locations) AS u(sku, loc))
             ORDER BY st.sku, st.location
               FOR UPDATE) l;

    -- Ids seen before are replays (or reuses); read after the locks so that a copy that held them has committed.
    FOR rec IN SELECT u.q, x.fingerprint
                 FROM unnest(p_ids) WITH ORDINALITY AS u(id, q)
                 JOIN {schema}.inventory_reservations x ON x.id = u.id
    LOOP
        outcome[rec.q] := CASE WHEN rec.fingerprint = p_fingerprints[rec.q] THEN 1 ELSE 2 END;
    END LOOP;

    line_key := ARRAY(SELECT array_position(keys, u.sku || E'\x1f' || u.loc)
                        FROM unnest(p_skus, p_locations) WITH ORDINALITY AS u(sku, loc, o) ORDER BY u.o);

    FOR q IN 1 .. n LOOP
        CONTINUE WHEN outcome[q] <> 0;
        ok := true;
        FOR j IN first_line[q] .. first_line[q] + p_line_counts[q] - 1 LOOP
            IF line_key[j] IS NULL THEN
                outcome[q] := 3;
            ELSIF avail[line_key[j]] < p_quantities[j] THEN
                ok := false;
            END IF;
        END LOOP;
        IF outcome[q] = 0 AND ok THEN
            FOR j IN first_line[q] .. first_line[q] + p_line_counts[q] - 1 LOOP
                avail[line_key[j]] := avail[line_key[j]] - p_quantities[j];
            END LOOP;
            admitted := admitted || q;
        ELSE
            IF outcome[q] = 0 THEN
                outcome[q] := 4;
            END IF;
            FOR j IN first_line[q] .. first_line[q] + p_line_counts[q] - 1 LOOP
                line_avail[j] := CASE WHEN line_key[j] IS NULL THEN NULL ELSE greatest(avail[line_key[j]], 0) END;
            END LOOP;
        END IF;
    END LOOP;

    -- Insert in id order, so that two batches racing on the same ids wait for each other in one order.
    WITH ins AS (
        INSERT INTO {schema}.inventory_reservations (id, fingerprint, state, skus, locations, quantities, created_at, expires_at)
        SELECT p_ids[a.q], p_fingerprints[a.q], 0,
               p_skus[first_line[a.q] : first_line[a.q] + p_line_counts[a.q] - 1],
               p_locations[first_line[a.q] : first_line[a.q] + p_line_counts[a.q] - 1],
               p_quantities[first_line[a.q] : first_line[a.q] + p_line_counts[a.q] - 1],
               p_now, p_expires[a.q]
          FROM unnest(admitted) AS a(q)
         ORDER BY p_ids[a.q]
        ON CONFLICT (id) DO NOTHING
        RETURNING id)
    SELECT coalesce(array_agg(a.q), '{}') INTO inserted
      FROM unnest(admitted) AS a(q) WHERE p_ids[a.q] IN (SELECT ins.id FROM ins);

    -- A concurrent batch inserted one of our ids first: answer as a replay of it; its stock was never applied here.
    FOR rec IN SELECT a.q, x.fingerprint
                 FROM unnest(admitted) AS a(q)
                 JOIN {schema}.inventory_reservations x ON x.id = p_ids[a.q]
                WHERE NOT a.q = ANY (inserted)
    LOOP
        outcome[rec.q] := CASE WHEN rec.fingerprint = p_fingerprints[rec.q] THEN 1 ELSE 2 END;
    END LOOP;

    UPDATE {schema}.inventory_stock st
       SET reserved = st.reserved + d.qty
      FROM (SELECT p_skus[j] AS sku, p_locations[j] AS loc, sum(p_quantities[j]) AS qty
              FROM unnest(inserted) AS a(q),
                   generate_series(first_line[a.q], first_line[a.q] + p_line_counts[a.q] - 1) AS j
             GROUP BY 1, 2) d
     WHERE st.sku = d.sku AND st.location = d.loc;

    INSERT INTO {schema}.inventory_movements (sku, location, kind, on_hand_delta, reserved_delta, reason, reference, occurred_at)
    SELECT p_skus[j], p_locations[j], 3, 0, p_quantities[j], 'reserved', p_ids[a.q], p_now
      FROM unnest(inserted) WITH ORDINALITY AS a(q, o),
           generate_series(first_line[a.q], first_line[a.q] + p_line_counts[a.q] - 1) AS j
     ORDER BY a.o, j;

    IF p_events THEN
        INSERT INTO {schema}.inventory_outbox (event_type, stream_id, occurred_at, payload)
        SELECT 'inventory.reservation.reserved', p_ids[a.q], p_now,
               jsonb_build_object(
                   'reservationId', p_ids[a.q], 'state', 'active', 'expiresAt', p_expires[a.q],
                   'lines', (SELECT jsonb_agg(jsonb_build_object('sku', p_skus[j], 'location', p_locations[j], 'quantity', p_quantities[j]) ORDER BY j)
                               FROM generate_series(first_line[a.q], first_line[a.q] + p_line_counts[a.q] - 1) AS j))
          FROM unnest(inserted) WITH ORDINALITY AS a(q, o)
         ORDER BY a.o;
    END IF;

    RETURN QUERY
    SELECT q, outcome[q], coalesce(x.state, 0::smallint), coalesce(x.created_at, p_now), coalesce(x.expires_at, p_expires[q]),
           x.skus, x.locations, x.quantities,
           CASE WHEN outcome[q] IN (3, 4) THEN line_avail[first_line[q] : first_line[q] + p_line_counts[q] - 1] END
      FROM generate_series(1, n) AS q
      LEFT JOIN {schema}.inventory_reservations x ON outcome[q] = 1 AND x.id = p_ids[q];
END
$fn$;

-- Commits (p_target 1) or releases (p_target 2) one reservation.
-- o_status: 0 done, 1 replay (already so), 2 not active, 3 expired, 4 not found.
CREATE OR REPLACE FUNCTION {schema}.inventory_finish(p_now timestamptz, p_id text, p_target smallint, p_events boolean)
RETURNS TABLE (o_status smallint, o_state smallint, o_created_at timestamptz, o_expires_at timestamptz,
               o_skus text[], o_locations text[], o_quantities bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
    r {schema}.inventory_reservations%ROWTYPE;
    status smallint;
BEGIN
    SELECT * INTO r FROM {schema}.inventory_reservations WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 4::smallint, NULL::smallint, NULL::timestamptz, NULL::timestamptz, NULL::text[], NULL::text[], NULL::bigint[];
        RETURN;
    END IF;

    IF r.state = 0 AND p_target = 1 AND p_now >= r.expires_at THEN
        status := 3;
    ELSIF r.state = 0 THEN
        PERFORM 1 FROM {schema}.inventory_stock st
         WHERE (st.sku, st.location) IN (SELECT u.sku, u.loc FROM unnest(r.skus, r.locations) AS u(sku, loc))
         ORDER BY st.sku, st.location
           FOR UPDATE;
        UPDATE {schema}.inventory_stock st
           SET reserved = st.reserved - u.qty,
               on_hand = st.on_hand - CASE WHEN p_target = 1 THEN u.qty ELSE 0 END
          FROM unnest(r.skus, r.locations, r.quantities) AS u(sku, loc, qty)
         WHERE st.sku = u.sku AND st.location = u.loc;
        UPDATE {schema}.inventory_reservations SET state = p_target, finished_at = p_now WHERE id = p_id;
        INSERT INTO {schema}.inventory_movements (sku, location, kind, on_hand_delta, reserved_delta, reason, reference, occurred_at)
        SELECT u.sku, u.loc, CASE WHEN p_target = 1 THEN 4 ELSE 5 END,
               CASE WHEN p_target = 1 THEN -u.qty ELSE 0 END, -u.qty,
               CASE WHEN p_target = 1 THEN 'committed' ELSE 'released' END, p_id, p_now
          FROM unnest(r.skus, r.locations, r.quantities) WITH ORDINALITY AS u(sku, loc, qty, o)
         ORDER BY u.o;
        IF p_events THEN
            INSERT INTO {schema}.inventory_outbox (event_type, stream_id, occurred_at, payload)
            VALUES (CASE WHEN p_target = 1 THEN 'inventory.reservation.committed' ELSE 'inventory.reservation.released' END,
                    p_id, p_now,
                    jsonb_build_object('reservationId', p_id, 'state', CASE WHEN p_target = 1 THEN 'committed' ELSE 'released' END,
                        'expiresAt', r.expires_at,
                        'lines', (SELECT jsonb_agg(jsonb_build_object('sku', u.sku, 'location', u.loc, 'quantity', u.qty) ORDER BY u.o)
                                    FROM unnest(r.skus, r.locations, r.quantities) WITH ORDINALITY AS u(sku, loc, qty, o))));
        END IF;
        r.state := p_target;
        status := 0;
    ELSIF r.state = p_target OR (p_target = 2 AND r.state = 3) THEN
        status := 1;
    ELSIF p_target = 1 AND r.state = 3 THEN
        status := 3;
    ELSE
        status := 2;
    END IF;

    RETURN QUERY SELECT status, r.state, r.created_at, r.expires_at, r.skus, r.locations, r.quantities;
END
$fn$;

-- Expires up to p_limit due reservations. SKIP LOCKED lets several sweepers share the work without waiting on each
-- other or on a commit in progress; the stock rows are then locked in the global order.
CREATE OR REPLACE FUNCTION {schema}.inventory_expire(p_now timestamptz, p_limit int, p_events boolean)
RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
    due text[];
BEGIN
    due := ARRAY(SELECT id FROM {schema}.inventory_reservations
                  WHERE state = 0 AND expires_at <= p_now
                  ORDER BY expires_at
                  LIMIT p_limit
                    FOR UPDATE SKIP LOCKED);
    IF cardinality(due) = 0 THEN
        RETURN 0;
    END IF;

    PERFORM 1 FROM {schema}.inventory_stock st
     WHERE (st.sku, st.location) IN (SELECT u.sku, u.loc FROM {schema}.inventory_reservations r, unnest(r.skus, r.locations) AS u(sku, loc)
                                      WHERE r.id = ANY (due))
     ORDER BY st.sku, st.location
       FOR UPDATE;

    UPDATE {schema}.inventory_stock st
       SET reserved = st.reserved - d.qty
      FROM (SELECT u.sku, u.loc, sum(u.qty) AS qty
              FROM {schema}.inventory_reservations r, unnest(r.skus, r.locations, r.quantities) AS u(sku, loc, qty)
             WHERE r.id = ANY (due)
             GROUP BY 1, 2) d
     WHERE st.sku = d.sku AND st.location = d.loc;

    UPDATE {schema}.inventory_reservations SET state = 3, finished_at = p_now WHERE id = ANY (due);

    INSERT INTO {schema}.inventory_movements (sku, location, kind, on_hand_delta, reserved_delta, reason, reference, occurred_at)
    SELECT u.sku, u.loc, 6, 0, -u.qty, 'expired', r.id, p_now
      FROM {schema}.inventory_reservations r, unnest(r.skus, r.locations, r.quantities) WITH ORDINALITY AS u(sku, loc, qty, o)
     WHERE r.id = ANY (due)
     ORDER BY r.expires_at, r.id, u.o;

    IF p_events THEN
        INSERT INTO {schema}.inventory_outbox (event_type, stream_id, occurred_at, payload)
        SELECT 'inventory.reservation.expired', r.id, p_now,
               jsonb_build_object('reservationId', r.id, 'state', 'expired', 'expiresAt', r.expires_at,
                   'lines', (SELECT jsonb_agg(jsonb_build_object('sku', u.sku, 'location', u.loc, 'quantity', u.qty) ORDER BY u.o)
                               FROM unnest(r.skus, r.locations, r.quantities) WITH ORDINALITY AS u(sku, loc, qty, o)))
          FROM {schema}.inventory_reservations r
         WHERE r.id = ANY (due)
         ORDER BY r.expires_at, r.id;
    END IF;

    RETURN cardinality(due);
END
$fn$;

-- Moves an active, unexpired reservation's deadline later. o_status: 0 done, 2 not active, 3 expired, 4 not found.
CREATE OR REPLACE FUNCTION {schema}.inventory_extend(p_now timestamptz, p_id text, p_expires timestamptz)
RETURNS TABLE (o_status smallint, o_state smallint, o_created_at timestamptz, o_expires_at timestamptz,
               o_skus text[], o_locations text[], o_quantities bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
    r {schema}.inventory_reservations%ROWTYPE;
    status smallint;
BEGIN
    SELECT * INTO r FROM {schema}.inventory_reservations WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 4::smallint, NULL::smallint, NULL::timestamptz, NULL::timestamptz, NULL::text[], NULL::text[], NULL::bigint[];
        RETURN;
    END IF;
    IF r.state = 3 OR (r.state = 0 AND p_now >= r.expires_at) THEN
        status := 3;
    ELSIF r.state <> 0 THEN
        status := 2;
    ELSE
        IF p_expires > r.expires_at THEN
            UPDATE {schema}.inventory_reservations SET expires_at = p_expires WHERE id = p_id;
            r.expires_at := p_expires;
        END IF;
        status := 0;
    END IF;
    RETURN QUERY SELECT status, r.state, r.created_at, r.expires_at, r.skus, r.locations, r.quantities;
END
$fn$;

-- Applies an adjustment (p_kind 1, p_quantity is a delta) or a sync (p_kind 2, p_quantity is the new on-hand),
-- idempotently by key. Refusals raise (SQLSTATE CE4xx) so that nothing the call wrote survives.
-- o_status: 0 applied, 1 replay, 2 key reused with another change.
CREATE OR REPLACE FUNCTION {schema}.inventory_change_stock(
    p_now timestamptz, p_key text, p_fingerprint uuid, p_sku text, p_location text, p_kind smallint,
    p_quantity bigint, p_reason text, p_events boolean)
RETURNS TABLE (o_status smallint, o_on_hand bigint, o_reserved bigint, o_backorder_limit bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    previous {schema}.inventory_stock_changes%ROWTYPE;
    cur {schema}.inventory_stock%ROWTYPE;
    delta bigint;
BEGIN
    SELECT * INTO previous FROM {schema}.inventory_stock_changes WHERE idempotency_key = p_key;
    IF FOUND THEN
        RETURN QUERY SELECT CASE WHEN previous.fingerprint = p_fingerprint THEN 1 ELSE 2 END::smallint,
                            previous.on_hand, previous.reserved, previous.backorder_limit;
        RETURN;
    END IF;

    SELECT * INTO cur FROM {schema}.inventory_stock WHERE sku = p_sku AND location = p_location FOR UPDATE;
    IF NOT FOUND THEN
        IF p_kind = 1 AND p_quantity < 0 THEN
            RAISE EXCEPTION '% has no stock at % to take % units from.', p_sku, p_location, -p_quantity USING ERRCODE = 'CE401';
        END IF;
        INSERT INTO {schema}.inventory_stock (sku, location) VALUES (p_sku, p_location) ON CONFLICT DO NOTHING;
        SELECT * INTO cur FROM {schema}.inventory_stock WHERE sku = p_sku AND location = p_location FOR UPDATE;
    END IF;

    delta := CASE WHEN p_kind = 1 THEN p_quantity ELSE p_quantity - cur.on_hand END;
    IF p_kind = 1 AND cur.on_hand + delta < 0 THEN
        RAISE EXCEPTION '% at % has % on hand; removing % would go below zero.', p_sku, p_location, cur.on_hand, -p_quantity
            USING ERRCODE = 'CE401';
    END IF;
    IF p_kind = 1 AND p_quantity < 0 AND cur.on_hand + delta - cur.reserved + cur.backorder_limit < 0 THEN
        RAISE EXCEPTION '% at % has % units reserved; removing % would break live reservations. Release them first or sync the counted figure.',
            p_sku, p_location, cur.reserved, -p_quantity USING ERRCODE = 'CE401';
    END IF;

    INSERT INTO {schema}.inventory_stock_changes (idempotency_key, fingerprint, sku, location, on_hand, reserved, backorder_limit, created_at)
    VALUES (p_key, p_fingerprint, p_sku, p_location, cur.on_hand + delta, cur.reserved, cur.backorder_limit, p_now)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        -- A concurrent change took the key between our check and now: undo everything and let the caller replay.
        RAISE EXCEPTION 'idempotency key % was claimed concurrently', p_key USING ERRCODE = 'CE409';
    END IF;

    UPDATE {schema}.inventory_stock SET on_hand = on_hand + delta WHERE sku = p_sku AND location = p_location;
    INSERT INTO {schema}.inventory_movements (sku, location, kind, on_hand_delta, reserved_delta, reason, reference, occurred_at)
    VALUES (p_sku, p_location, p_kind, delta, 0, p_reason, p_key, p_now);
    IF p_events THEN
        INSERT INTO {schema}.inventory_outbox (event_type, stream_id, occurred_at, payload)
        VALUES ('inventory.stock.adjusted', p_sku || '@' || p_location, p_now,
                jsonb_build_object('sku', p_sku, 'location', p_location, 'kind', CASE WHEN p_kind = 1 THEN 'adjust' ELSE 'sync' END,
                                   'onHandDelta', delta, 'onHand', cur.on_hand + delta, 'reserved', cur.reserved,
                                   'reason', p_reason, 'idempotencyKey', p_key));
    END IF;

    RETURN QUERY SELECT 0::smallint, cur.on_hand + delta, cur.reserved, cur.backorder_limit;
END
$fn$;

CREATE INDEX IF NOT EXISTS inventory_reservations_finished ON {schema}.inventory_reservations (finished_at) WHERE state <> 0;
CREATE INDEX IF NOT EXISTS inventory_stock_changes_created ON {schema}.inventory_stock_changes (created_at);
CREATE INDEX IF NOT EXISTS inventory_outbox_published ON {schema}.inventory_outbox (published_at) WHERE published_at IS NOT NULL;

-- Forgets, in bounded batches, what is only kept for replays: finished reservations, stock-change keys and
-- published events older than p_before. The movement ledger is the audit trail and is never reaped.
CREATE OR REPLACE FUNCTION {schema}.inventory_reap(p_before timestamptz, p_limit int)
RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
    reaped int := 0;
    n int;
BEGIN
    DELETE FROM {schema}.inventory_reservations
     WHERE id IN (SELECT id FROM {schema}.inventory_reservations
                   WHERE state <> 0 AND finished_at < p_before
                   ORDER BY finished_at LIMIT p_limit FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n = ROW_COUNT;
    reaped := reaped + n;
    DELETE FROM {schema}.inventory_stock_changes
     WHERE idempotency_key IN (SELECT idempotency_key FROM {schema}.inventory_stock_changes
                                WHERE created_at < p_before
                                ORDER BY created_at LIMIT p_limit FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n = ROW_COUNT;
    reaped := reaped + n;
    DELETE FROM {schema}.inventory_outbox
     WHERE position IN (SELECT position FROM {schema}.inventory_outbox
                         WHERE published_at < p_before
                         ORDER BY published_at LIMIT p_limit FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN reaped + n;
END
$fn$;
