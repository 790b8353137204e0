-- Commerce Engine checkout schema. Idempotent: safe to run on every start, from several instances at once (the
-- caller holds an advisory lock). {schema} is replaced by the configured schema name, validated as an identifier.
-- The functions below call the inventory and ordering functions of the same schema (the store applies inventory.sql
-- and ordering.sql first), so that the local steps of a checkout that can share a transaction do, in one round trip,
-- with exactly the semantics of the separate stores: the same stock checks, reservation TTL, movements, order
-- events and outbox rows, written by the same code.

CREATE SCHEMA IF NOT EXISTS {schema};

-- One row per checkout. The saga itself is a document the engine writes (state, exact to the tick); the columns are
-- what the database needs: the keys it is found by, a version for conditional writes, and what recovery scans.
CREATE TABLE IF NOT EXISTS {schema}.checkout_sagas (
    checkout_id      text COLLATE "C" NOT NULL PRIMARY KEY,
    idempotency_key  text COLLATE "C" NOT NULL UNIQUE,
    order_id         text COLLATE "C" NOT NULL,
    version          bigint NOT NULL CHECK (version >= 1),
    step             smallint NOT NULL,
    needs_driving    boolean NOT NULL,
    lease_expires_at timestamptz NOT NULL,
    state            jsonb NOT NULL
);

CREATE INDEX IF NOT EXISTS checkout_sagas_by_order ON {schema}.checkout_sagas (order_id);
-- Recovery scans the sagas that need driving whose lease has passed, earliest first.
CREATE INDEX IF NOT EXISTS checkout_sagas_due ON {schema}.checkout_sagas (lease_expires_at) WHERE needs_driving;

-- Begins a batch of checkouts in one call and one transaction: claims each idempotency key with its saga row,
-- reserves the stock of all of them through inventory_reserve (so a hot SKU gets one row update per batch), and
-- places the order of each reserved one, awaiting payment, through ordering_append (order row, fulfilments, event,
-- outbox message). Request q owns reservation lines p_line_counts[q] of the p_skus/p_locations/p_quantities arrays,
-- order lines p_o_line_counts[q] of the p_o_* arrays and fulfilments p_f_counts[q] of the p_f_* arrays, in order.
-- Idempotency keys must be distinct within a call. Only begun checkouts leave rows behind.
-- o_status: 0 begun, 1 the key has a saga (o_state is it), 3 unknown SKU, 4 insufficient stock (o_available per line),
-- 5 the order id is taken by another order, 6 the reservation id is taken by another reservation, 7 the checkout id
-- is taken under another key.
CREATE OR REPLACE FUNCTION {schema}.checkout_begin(
    p_now timestamptz, p_ids text[], p_keys text[], p_states jsonb[], p_leases timestamptz[], p_step smallint,
    p_reservation_ids text[], p_reservation_fingerprints uuid[], p_expires timestamptz[],
    p_line_counts int[], p_skus text[], p_locations text[], p_quantities bigint[], p_inventory_events boolean,
    p_order_ids text[], p_command_id text, p_order_fingerprints uuid[], p_event_ids uuid[], p_event_type text,
    p_bodies jsonb[], p_order_state smallint, p_buyers text[], p_currency text[], p_shipping bigint[], p_tax bigint[],
    p_o_line_counts int[], p_o_skus text[], p_o_sellers text[], p_o_quantities bigint[], p_o_prices bigint[],
    p_f_counts int[], p_f_sellers text[], p_f_states smallint[], p_order_events boolean)
RETURNS TABLE (o_req int, o_status smallint, o_state text, o_available bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
    n int := cardinality(p_ids);
    outcome smallint[] := array_fill(0::smallint, ARRAY[n]);
    available text[] := array_fill(NULL::text, ARRAY[n]);
    first_line int[] := array_fill(0, ARRAY[n]);
    first_o int[] := array_fill(0, ARRAY[n]);
    first_f int[] := array_fill(0, ARRAY[n]);
    claimed int[];
    kept int[];
    k_ids text[] := '{}';
    k_fingerprints uuid[] := '{}';
    k_expires timestamptz[] := '{}';
    k_counts int[] := '{}';
    k_skus text[] := '{}';
    k_locations text[] := '{}';
    k_quantities bigint[] := '{}';
    pos int := 1;
    pos_o int := 1;
    pos_f int := 1;
    q int;
    to_place int[];
    placed bigint;
    rec record;
BEGIN
    FOR i IN 1 .. n LOOP
        first_line[i] := pos;
        pos := pos + p_line_counts[i];
        first_o[i] := pos_o;
        pos_o := pos_o + p_o_line_counts[i];
        first_f[i] := pos_f;
        pos_f := pos_f + p_f_counts[i];
    END LOOP;

    -- Claim the keys, in key order: a copy of a checkout in flight in another call waits here for that call to end
    -- (and then finds its saga, or finds the key free again), and two calls racing on several keys wait for each
    -- other in one order.
    WITH ins AS (
        INSERT INTO {schema}.checkout_sagas (checkout_id, idempotency_key, order_id, version, step, needs_driving, lease_expires_at, state)
        SELECT p_ids[i], p_keys[i], p_order_ids[i], 1, p_step, true, p_leases[i], p_states[i]
          FROM generate_series(1, n) AS i
         ORDER BY p_keys[i]
        ON CONFLICT DO NOTHING
        RETURNING idempotency_key)
    SELECT coalesce(array_agg(i ORDER BY i), '{}') INTO claimed
      FROM generate_series(1, n) AS i WHERE p_keys[i] IN (SELECT ins.idempotency_key FROM ins);

    FOR q IN SELECT i FROM generate_series(1, n) AS i WHERE NOT i = ANY (claimed) LOOP
        outcome[q] := CASE WHEN EXISTS (SELECT 1 FROM {schema}.checkout_sagas s WHERE s.idempotency_key = p_keys[q]) THEN 1 ELSE 7 END;
    END LOOP;

    -- An order placed under the same id by something other than this checkout: refuse before reserving anything.
    FOR q IN SELECT i FROM unnest(claimed) AS i JOIN {schema}.ordering_orders o ON o.order_id = p_order_ids[i] LOOP
        outcome[q] := 5;
    END LOOP;

    kept := ARRAY(SELECT i FROM unnest(claimed) AS i WHERE outcome[i] = 0 ORDER BY i);
    FOREACH q IN ARRAY kept LOOP
        k_ids := k_ids || p_reservation_ids[q];
        k_fingerprints := k_fingerprints || p_reservation_fingerprints[q];
        k_expires := k_expires || p_expires[q];
        k_counts := k_counts || p_line_counts[q];
        k_skus := k_skus || p_skus[first_line[q] : first_line[q] + p_line_counts[q] - 1];
        k_locations := k_locations || p_locations[first_line[q] : first_line[q] + p_line_counts[q] - 1];
        k_quantities := k_quantities || p_quantities[first_line[q] : first_line[q] + p_line_counts[q] - 1];
    END LOOP;

    IF cardinality(kept) > 0 THEN
        FOR rec IN SELECT r.o_req, r.o_status, r.o_available
                     FROM {schema}.inventory_reserve(p_now, k_ids, k_fingerprints, k_expires, k_counts, k_skus, k_locations,
                                                     k_quantities, p_inventory_events) r
        LOOP
            q := kept[rec.o_req];
            -- inventory_reserve: 0 reserved, 1 replay and 2 reuse of an existing reservation id, 3 unknown SKU, 4 insufficient.
            outcome[q] := CASE rec.o_status WHEN 0 THEN 0 WHEN 3 THEN 3 WHEN 4 THEN 4 ELSE 6 END;
            available[q] := rec.o_available::text;
        END LOOP;
    END IF;

    -- A reservation id that existed before is somebody else's: its stock was not applied here, and nothing of this
    -- checkout may stay. Undo the call rather than leave a saga without its reservation.
    IF 6 = ANY (outcome) THEN
        RAISE EXCEPTION 'reservation id taken' USING ERRCODE = 'CE506',
            DETAIL = (SELECT string_agg(p_reservation_ids[i], ',') FROM generate_series(1, n) AS i WHERE outcome[i] = 6);
    END IF;

    -- Place the orders of the reserved checkouts, in order id order: what ordering_append writes for a placement (order
    -- row, fulfilments, event, outbox message), set-based for the whole batch.
    to_place := ARRAY(SELECT i FROM unnest(kept) AS i WHERE outcome[i] = 0 ORDER BY p_order_ids[i]);
    IF cardinality(to_place) > 0 THEN
        WITH ins AS (
            INSERT INTO {schema}.ordering_orders (order_id, buyer_id, currency, state, version, placed_at, updated_at, shipping, tax,
                                                  refunded, refund_requested, payment_id, skus, sellers, quantities, unit_prices)
            SELECT p_order_ids[x.q], p_buyers[x.q], p_currency[x.q], p_order_state, 1, p_now, p_now, p_shipping[x.q], p_tax[x.q],
                   0, NULL, NULL,
                   p_o_skus[first_o[x.q] : first_o[x.q] + p_o_line_counts[x.q] - 1],
                   p_o_sellers[first_o[x.q] : first_o[x.q] + p_o_line_counts[x.q] - 1],
                   p_o_quantities[first_o[x.q] : first_o[x.q] + p_o_line_counts[x.q] - 1],
                   p_o_prices[first_o[x.q] : first_o[x.q] + p_o_line_counts[x.q] - 1]
              FROM unnest(to_place) WITH ORDINALITY AS x(q, o)
             ORDER BY x.o
            ON CONFLICT (order_id) DO NOTHING
            RETURNING 1)
        SELECT count(*) INTO placed FROM ins;
        IF placed <> cardinality(to_place) THEN
            -- Placed concurrently under the same id since the check above: undo the call; the retry refuses it.
            RAISE EXCEPTION 'an order was placed concurrently' USING ERRCODE = 'CE509';
        END IF;
        INSERT INTO {schema}.ordering_fulfilments (order_id, seller_id, state, tracking_number, shipped_at, delivered_at, order_state, placed_at)
        SELECT p_order_ids[x.q], p_f_sellers[j], p_f_states[j], NULL, NULL, NULL, p_order_state, p_now
          FROM unnest(to_place) AS x(q), generate_series(first_f[x.q], first_f[x.q] + p_f_counts[x.q] - 1) AS j;
        INSERT INTO {schema}.ordering_events (order_id, version, event_id, event_type, command_id, fingerprint, occurred_at, body)
        SELECT p_order_ids[x.q], 1, p_event_ids[x.q], p_event_type, p_command_id, p_order_fingerprints[x.q], p_now, p_bodies[x.q]
          FROM unnest(to_place) WITH ORDINALITY AS x(q, o)
         ORDER BY x.o;
        IF p_order_events THEN
            INSERT INTO {schema}.ordering_outbox (order_id, event_id, event_type, stream_id, occurred_at, payload)
            SELECT p_order_ids[x.q], p_event_ids[x.q], p_event_type, p_order_ids[x.q], p_now, p_bodies[x.q]
              FROM unnest(to_place) WITH ORDINALITY AS x(q, o)
             ORDER BY x.o;
        END IF;
    END IF;

    -- Refused checkouts leave nothing behind: their keys stay free.
    DELETE FROM {schema}.checkout_sagas s
     USING unnest(claimed) AS u(i)
     WHERE outcome[u.i] <> 0 AND s.checkout_id = p_ids[u.i];

    RETURN QUERY
    SELECT i, outcome[i], s.state::text, CASE WHEN outcome[i] IN (3, 4) THEN available[i]::bigint[] END
      FROM generate_series(1, n) AS i
      LEFT JOIN {schema}.checkout_sagas s ON outcome[i] = 1 AND s.idempotency_key = p_keys[i];
END
$fn$;

-- Moves one saga on, conditionally on its version, together with the local steps that go with the move, in one
-- transaction: finishing its reservation (p_reservation_target 1 commit, 2 release; NULL none) through
-- inventory_finish, and appending one order event (p_order_id NULL: none) through ordering_append. Rows are locked
-- saga, order, reservation, stock, and every check comes before the first write, so a refusal writes nothing.
-- p_reservation_required: whether a refused finish (not active, expired, not found) refuses the step (a commit) or
-- is skipped (a release during compensation: the stock is not held any more either way).
-- o_status: 0 done, 1 the saga is not at p_version - 1 (o_state is the stored saga, null when none), 2 the order
-- is not at p_order_version - 1 and the command is not recorded on it with this fingerprint (o_order_version and
-- o_order_state say where it is), 3 the reservation refused (o_reservation_status is inventory_finish's status:
-- 2 not active, 3 expired, 4 not found). A command already recorded on the order with the same fingerprint counts
-- as done and is not appended twice.
CREATE OR REPLACE FUNCTION {schema}.checkout_step(
    p_now timestamptz, p_id text, p_version bigint, p_step smallint, p_needs_driving boolean, p_lease timestamptz,
    p_state jsonb, p_reservation_id text, p_reservation_target smallint, p_reservation_required boolean,
    p_inventory_events boolean, p_order_id text, p_order_version bigint, p_command_id text, p_order_fingerprint uuid,
    p_event_id uuid, p_event_type text, p_body jsonb, p_order_state smallint, p_refunded bigint,
    p_refund_requested bigint, p_payment_id text, p_f_sellers text[], p_f_states smallint[], p_f_tracking text[],
    p_f_shipped timestamptz[], p_f_delivered timestamptz[], p_order_events boolean)
RETURNS TABLE (o_status smallint, o_state text, o_order_version bigint, o_order_state smallint, o_reservation_status smallint)
LANGUAGE plpgsql AS $fn$
DECLARE
    current_version bigint;
    current_state text;
    order_version bigint;
    order_state smallint;
    recorded uuid;
    res_status smallint;
    appended smallint;
BEGIN
    SELECT s.version, s.state::text INTO current_version, current_state
      FROM {schema}.checkout_sagas s WHERE s.checkout_id = p_id FOR UPDATE;
    IF current_version IS DISTINCT FROM p_version - 1 THEN
        RETURN QUERY SELECT 1::smallint, current_state, NULL::bigint, NULL::smallint, NULL::smallint;
        RETURN;
    END IF;

    IF p_order_id IS NOT NULL THEN
        SELECT o.version, o.state INTO order_version, order_state
          FROM {schema}.ordering_orders o WHERE o.order_id = p_order_id FOR UPDATE;
        SELECT e.fingerprint INTO recorded
          FROM {schema}.ordering_events e WHERE e.order_id = p_order_id AND e.command_id = p_command_id;
        IF (recorded IS NULL AND order_version IS DISTINCT FROM p_order_version - 1) OR recorded <> p_order_fingerprint THEN
            RETURN QUERY SELECT 2::smallint, current_state, order_version, order_state, NULL::smallint;
            RETURN;
        END IF;
    END IF;

    IF p_reservation_id IS NOT NULL THEN
        SELECT f.o_status INTO res_status
          FROM {schema}.inventory_finish(p_now, p_reservation_id, p_reservation_target, p_inventory_events) f;
        IF p_reservation_required AND res_status NOT IN (0, 1) THEN
            -- inventory_finish writes nothing when it refuses.
            RETURN QUERY SELECT 3::smallint, current_state, NULL::bigint, NULL::smallint, res_status;
            RETURN;
        END IF;
    END IF;

    IF p_order_id IS NOT NULL AND recorded IS NULL THEN
        SELECT a.o_status INTO appended
          FROM {schema}.ordering_append(
                   p_order_id, p_order_version, p_command_id, p_order_fingerprint, p_event_id, p_event_type, p_now, p_body,
                   p_order_state, p_refunded, p_refund_requested, p_payment_id,
                   p_f_sellers, p_f_states, p_f_tracking, p_f_shipped, p_f_delivered,
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, p_order_events) a;
        IF appended <> 0 THEN
            -- Cannot happen while the order row is locked; never leave the reservation finished without the event.
            RAISE EXCEPTION 'order % changed under its lock', p_order_id USING ERRCODE = 'CE509';
        END IF;
    END IF;

    UPDATE {schema}.checkout_sagas
       SET version = p_version, step = p_step, needs_driving = p_needs_driving, lease_expires_at = p_lease, state = p_state
     WHERE checkout_id = p_id;

    RETURN QUERY SELECT 0::smallint, NULL::text, NULL::bigint, NULL::smallint, res_status;
END
$fn$;

-- Moves a batch of sagas on in one call and one transaction (group commit), each exactly as checkout_step would,
-- set-based: one statement per table for the whole batch. Step i owns fulfilments first_f[i] .. first_f[i] +
-- p_f_counts[i] - 1 of the p_f_* arrays; p_reservation_ids[i] null: no reservation to finish, p_order_ids[i] null:
-- no order event. Sagas, orders and reservations must be distinct within a call. Rows are locked saga, order,
-- reservation, stock (each kind in key order), and every check of every step comes before the first write, so a
-- refused step writes nothing. p_nows[i] is step i's clock. Returns one row per step, with checkout_step's statuses.
CREATE OR REPLACE FUNCTION {schema}.checkout_step_many(
    p_nows timestamptz[], p_ids text[], p_versions bigint[], p_steps smallint[], p_needs_driving boolean[], p_leases timestamptz[],
    p_states jsonb[], p_reservation_ids text[], p_reservation_targets smallint[], p_reservation_required boolean[],
    p_inventory_events boolean, p_order_ids text[], p_order_versions bigint[], p_command_ids text[], p_order_fingerprints uuid[],
    p_event_ids uuid[], p_event_types text[], p_bodies jsonb[], p_order_states smallint[], p_refunded bigint[],
    p_refund_requested bigint[], p_payment_ids text[], p_f_counts int[], p_f_sellers text[], p_f_states smallint[],
    p_f_tracking text[], p_f_shipped timestamptz[], p_f_delivered timestamptz[], p_order_events boolean)
RETURNS TABLE (o_req int, o_status smallint, o_state text, o_order_version bigint, o_order_state smallint, o_reservation_status smallint)
LANGUAGE plpgsql AS $fn$
DECLARE
    n int := cardinality(p_ids);
    outcome smallint[] := array_fill(1::smallint, ARRAY[n]);
    order_version bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    order_state smallint[] := array_fill(NULL::smallint, ARRAY[n]);
    recorded uuid[] := array_fill(NULL::uuid, ARRAY[n]);
    res_found boolean[] := array_fill(false, ARRAY[n]);
    res_state smallint[] := array_fill(NULL::smallint, ARRAY[n]);
    res_expires timestamptz[] := array_fill(NULL::timestamptz, ARRAY[n]);
    res_status smallint[] := array_fill(NULL::smallint, ARRAY[n]);
    first_f int[] := array_fill(0, ARRAY[n]);
    pos int := 1;
    wanted text[];
    finishing int[];
    appending int[];
    done int[];
    changed int;
    rec record;
BEGIN
    FOR i IN 1 .. n LOOP
        first_f[i] := pos;
        pos := pos + p_f_counts[i];
    END LOOP;

    -- The sagas, at the version before each step's.
    FOR rec IN SELECT u.i, s.version
                 FROM (SELECT s.checkout_id, s.version FROM {schema}.checkout_sagas s
                        WHERE s.checkout_id = ANY (p_ids) ORDER BY s.checkout_id FOR UPDATE) s
                 JOIN unnest(p_ids) WITH ORDINALITY AS u(id, i) ON u.id = s.checkout_id
    LOOP
        IF rec.version = p_versions[rec.i] - 1 THEN
            outcome[rec.i] := 0;
        END IF;
    END LOOP;

    -- The orders, at the version before each event's, unless the command is recorded on them already.
    wanted := ARRAY(SELECT p_order_ids[i] FROM generate_series(1, n) AS i WHERE outcome[i] = 0 AND p_order_ids[i] IS NOT NULL);
    IF cardinality(wanted) > 0 THEN
        FOR rec IN SELECT u.i, o.version, o.state,
                          (SELECT e.fingerprint FROM {schema}.ordering_events e
                            WHERE e.order_id = o.order_id AND e.command_id = p_command_ids[u.i]) AS fingerprint
                     FROM (SELECT o.order_id, o.version, o.state FROM {schema}.ordering_orders o
                            WHERE o.order_id = ANY (wanted) ORDER BY o.order_id FOR UPDATE) o
                     JOIN unnest(p_order_ids) WITH ORDINALITY AS u(id, i) ON u.id = o.order_id
        LOOP
            order_version[rec.i] := rec.version;
            order_state[rec.i] := rec.state;
            recorded[rec.i] := rec.fingerprint;
        END LOOP;
        FOR i IN 1 .. n LOOP
            CONTINUE WHEN outcome[i] <> 0 OR p_order_ids[i] IS NULL;
            IF (recorded[i] IS NULL AND order_version[i] IS DISTINCT FROM p_order_versions[i] - 1) OR recorded[i] <> p_order_fingerprints[i] THEN
                outcome[i] := 2;
            END IF;
        END LOOP;
    END IF;

    -- The reservations, with inventory_finish's statuses: 0 to do, 1 already so, 2 not active, 3 expired, 4 not found.
    wanted := ARRAY(SELECT p_reservation_ids[i] FROM generate_series(1, n) AS i WHERE outcome[i] = 0 AND p_reservation_ids[i] IS NOT NULL);
    IF cardinality(wanted) > 0 THEN
        FOR rec IN SELECT u.i, r.state, r.expires_at
                     FROM (SELECT r.id, r.state, r.expires_at FROM {schema}.inventory_reservations r
                            WHERE r.id = ANY (wanted) ORDER BY r.id FOR UPDATE) r
                     JOIN unnest(p_reservation_ids) WITH ORDINALITY AS u(id, i) ON u.id = r.id
        LOOP
            res_found[rec.i] := true;
            res_state[rec.i] := rec.state;
            res_expires[rec.i] := rec.expires_at;
        END LOOP;
        FOR i IN 1 .. n LOOP
            CONTINUE WHEN outcome[i] <> 0 OR p_reservation_ids[i] IS NULL;
            res_status[i] := CASE
                WHEN NOT res_found[i] THEN 4
                WHEN res_state[i] = 0 AND p_reservation_targets[i] = 1 AND p_nows[i] >= res_expires[i] THEN 3
                WHEN res_state[i] = 0 THEN 0
                WHEN res_state[i] = p_reservation_targets[i] OR (p_reservation_targets[i] = 2 AND res_state[i] = 3) THEN 1
                WHEN p_reservation_targets[i] = 1 AND res_state[i] = 3 THEN 3
                ELSE 2 END;
            IF p_reservation_required[i] AND res_status[i] NOT IN (0, 1) THEN
                outcome[i] := 3;
            END IF;
        END LOOP;
    END IF;

    -- Every check is done: write.
    finishing := ARRAY(SELECT i FROM generate_series(1, n) AS i WHERE outcome[i] = 0 AND res_status[i] = 0 ORDER BY p_reservation_ids[i]);
    IF cardinality(finishing) > 0 THEN
        PERFORM 1 FROM {schema}.inventory_stock st
         WHERE (st.sku, st.location) IN (SELECT l.sku, l.loc FROM unnest(finishing) AS f(i)
                                           JOIN {schema}.inventory_reservations r ON r.id = p_reservation_ids[f.i],
                                                unnest(r.skus, r.locations) AS l(sku, loc))
         ORDER BY st.sku, st.location
           FOR UPDATE;
        UPDATE {schema}.inventory_stock st
           SET reserved = st.reserved - d.qty, on_hand = st.on_hand - d.committed
          FROM (SELECT l.sku, l.loc, sum(l.qty) AS qty, sum(CASE WHEN p_reservation_targets[f.i] = 1 THEN l.qty ELSE 0 END) AS committed
                  FROM unnest(finishing) AS f(i)
                  JOIN {schema}.inventory_reservations r ON r.id = p_reservation_ids[f.i],
                       unnest(r.skus, r.locations, r.quantities) AS l(sku, loc, qty)
                 GROUP BY 1, 2) d
         WHERE st.sku = d.sku AND st.location = d.loc;
        INSERT INTO {schema}.inventory_movements (sku, location, kind, on_hand_delta, reserved_delta, reason, reference, occurred_at)
        SELECT l.sku, l.loc, CASE WHEN p_reservation_targets[f.i] = 1 THEN 4 ELSE 5 END,
               CASE WHEN p_reservation_targets[f.i] = 1 THEN -l.qty ELSE 0 END, -l.qty,
               CASE WHEN p_reservation_targets[f.i] = 1 THEN 'committed' ELSE 'released' END, r.id, p_nows[f.i]
          FROM unnest(finishing) WITH ORDINALITY AS f(i, o)
          JOIN {schema}.inventory_reservations r ON r.id = p_reservation_ids[f.i],
               unnest(r.skus, r.locations, r.quantities) WITH ORDINALITY AS l(sku, loc, qty, o)
         ORDER BY f.o, l.o;
        IF p_inventory_events THEN
            INSERT INTO {schema}.inventory_outbox (event_type, stream_id, occurred_at, payload)
            SELECT CASE WHEN p_reservation_targets[f.i] = 1 THEN 'inventory.reservation.committed' ELSE 'inventory.reservation.released' END,
                   r.id, p_nows[f.i],
                   jsonb_build_object('reservationId', r.id, 'state', CASE WHEN p_reservation_targets[f.i] = 1 THEN 'committed' ELSE 'released' END,
                       'expiresAt', r.expires_at,
                       'lines', (SELECT jsonb_agg(jsonb_build_object('sku', l.sku, 'location', l.loc, 'quantity', l.qty) ORDER BY l.o)
                                   FROM unnest(r.skus, r.locations, r.quantities) WITH ORDINALITY AS l(sku, loc, qty, o)))
              FROM unnest(finishing) WITH ORDINALITY AS f(i, o)
              JOIN {schema}.inventory_reservations r ON r.id = p_reservation_ids[f.i]
             ORDER BY f.o;
        END IF;
        UPDATE {schema}.inventory_reservations r
           SET state = p_reservation_targets[f.i], finished_at = p_nows[f.i]
          FROM unnest(finishing) AS f(i)
         WHERE r.id = p_reservation_ids[f.i];
    END IF;

    -- ordering_append for each order event not recorded yet, in order id order.
    appending := ARRAY(SELECT i FROM generate_series(1, n) AS i
                        WHERE outcome[i] = 0 AND p_order_ids[i] IS NOT NULL AND recorded[i] IS NULL ORDER BY p_order_ids[i]);
    IF cardinality(appending) > 0 THEN
        UPDATE {schema}.ordering_orders o
           SET state = p_order_states[a.i], version = p_order_versions[a.i], updated_at = p_nows[a.i], refunded = p_refunded[a.i],
               refund_requested = p_refund_requested[a.i], payment_id = p_payment_ids[a.i]
          FROM unnest(appending) AS a(i)
         WHERE o.order_id = p_order_ids[a.i] AND o.version = p_order_versions[a.i] - 1;
        GET DIAGNOSTICS changed = ROW_COUNT;
        IF changed <> cardinality(appending) THEN
            -- Cannot happen while the order rows are locked; never leave a reservation finished without its event.
            RAISE EXCEPTION 'an order changed under its lock' USING ERRCODE = 'CE509';
        END IF;
        UPDATE {schema}.ordering_fulfilments f
           SET state = p_f_states[j], tracking_number = p_f_tracking[j], shipped_at = p_f_shipped[j], delivered_at = p_f_delivered[j],
               order_state = p_order_states[a.i]
          FROM unnest(appending) AS a(i), generate_series(first_f[a.i], first_f[a.i] + p_f_counts[a.i] - 1) AS j
         WHERE f.order_id = p_order_ids[a.i] AND f.seller_id = p_f_sellers[j];
        INSERT INTO {schema}.ordering_events (order_id, version, event_id, event_type, command_id, fingerprint, occurred_at, body)
        SELECT p_order_ids[a.i], p_order_versions[a.i], p_event_ids[a.i], p_event_types[a.i], p_command_ids[a.i],
               p_order_fingerprints[a.i], p_nows[a.i], p_bodies[a.i]
          FROM unnest(appending) WITH ORDINALITY AS a(i, o)
         ORDER BY a.o;
        IF p_order_events THEN
            INSERT INTO {schema}.ordering_outbox (order_id, event_id, event_type, stream_id, occurred_at, payload)
            SELECT p_order_ids[a.i], p_event_ids[a.i], p_event_types[a.i], p_order_ids[a.i], p_nows[a.i], p_bodies[a.i]
              FROM unnest(appending) WITH ORDINALITY AS a(i, o)
             ORDER BY a.o;
        END IF;
    END IF;

    done := ARRAY(SELECT i FROM generate_series(1, n) AS i WHERE outcome[i] = 0);
    IF cardinality(done) > 0 THEN
        UPDATE {schema}.checkout_sagas s
           SET version = p_versions[d.i], step = p_steps[d.i], needs_driving = p_needs_driving[d.i], lease_expires_at = p_leases[d.i],
               state = p_states[d.i]
          FROM unnest(done) AS d(i)
         WHERE s.checkout_id = p_ids[d.i];
    END IF;

    RETURN QUERY
    SELECT i, outcome[i], s.state::text,
           CASE WHEN outcome[i] = 2 THEN order_version[i] END, CASE WHEN outcome[i] = 2 THEN order_state[i] END,
           CASE WHEN outcome[i] IN (0, 3) THEN res_status[i] END
      FROM generate_series(1, n) AS i
      LEFT JOIN {schema}.checkout_sagas s ON outcome[i] <> 0 AND s.checkout_id = p_ids[i];
END
$fn$;
