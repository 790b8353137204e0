-- Commerce Engine payments schema. Idempotent: safe to run on every start, from several instances at once (the caller
-- holds an advisory lock). {schema} is replaced by the configured schema name, validated as an identifier.
-- The payment id leads every primary key of payment data and no table has a foreign key, so the tables can be
-- distributed by payment id. Caller keys, webhook receipts and PSP references are keyed by what they are looked up by.
-- Enums are stored as smallints: the C# enum values.
--   payment status:  0 created, 1 authorized, 2 partially captured, 3 captured, 4 voided, 5 failed,
--                    6 partially refunded, 7 refunded, 8 unknown
--   operation:       0 authorize, 1 capture, 2 void, 3 refund
--   attempt status:  0 pending, 1 succeeded, 2 declined, 3 failed, 4 unknown
--   key state:       0 in progress, 1 open, 2 completed
--   outcome:         0 succeeded, 1 declined, 2 failed, 3 pending

CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {schema}.payments (
    id               text COLLATE "C" NOT NULL PRIMARY KEY,
    version          bigint NOT NULL CHECK (version > 0),
    status           smallint NOT NULL,
    amount_minor     bigint NOT NULL,
    currency         text NOT NULL,
    payment_method   text NOT NULL,
    order_id         text,
    split_sellers    text[] NOT NULL,
    split_amounts    bigint[] NOT NULL,
    split_bps        int[] NOT NULL,
    authorized_minor bigint NOT NULL,
    captured_minor   bigint NOT NULL,
    refunded_minor   bigint NOT NULL,
    capture_closed   boolean NOT NULL,
    -- Whether an attempt is pending or unknown, set by payment_write from the attempts it writes: the resolver's scan
    -- is then one small partial index in updated_at order, with no join to the attempts.
    unsettled        boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT payments_amounts_in_order CHECK (
        0 <= refunded_minor AND refunded_minor <= captured_minor
        AND captured_minor <= authorized_minor AND authorized_minor <= amount_minor),
    CONSTRAINT payments_splits_aligned CHECK (
        cardinality(split_sellers) = cardinality(split_amounts) AND cardinality(split_sellers) = cardinality(split_bps))
);

CREATE INDEX IF NOT EXISTS payments_unsettled ON {schema}.payments (updated_at) WHERE unsettled;
-- Reconciliation streams the payments changed in a window, in keyset pages.
CREATE INDEX IF NOT EXISTS payments_changed ON {schema}.payments (updated_at, id);

CREATE TABLE IF NOT EXISTS {schema}.payment_attempts (
    payment_id      text COLLATE "C" NOT NULL,
    number          int NOT NULL CHECK (number > 0),
    operation       smallint NOT NULL,
    provider        text NOT NULL,
    amount_minor    bigint NOT NULL CHECK (amount_minor >= 0),
    is_final        boolean NOT NULL,
    psp_key         text NOT NULL,
    status          smallint NOT NULL,
    psp_reference   text,
    failure_code    text,
    failure_message text,
    resolve_tries   int NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (payment_id, number)
);

-- The caller's idempotency key of the request that started the attempt: with keys kept elsewhere (Redis), a retry
-- whose key record was lost finds its attempt here, the source of truth. Null for attempts written before it existed.
ALTER TABLE {schema}.payment_attempts ADD COLUMN IF NOT EXISTS request_key text;

CREATE TABLE IF NOT EXISTS {schema}.payment_keys (
    key                    text COLLATE "C" NOT NULL PRIMARY KEY,
    operation              smallint NOT NULL,
    fingerprint            text COLLATE "C" NOT NULL,
    payment_id             text NOT NULL,
    state                  smallint NOT NULL,
    lease_expires_at       timestamptz NOT NULL,
    attempt_number         int,
    result_outcome         smallint,
    result_status          smallint,
    result_attempt_number  int,
    result_failure_code    text,
    result_failure_message text,
    created_at             timestamptz NOT NULL,
    CONSTRAINT payment_keys_result_whole CHECK (
        (result_outcome IS NULL) = (result_status IS NULL) AND (result_outcome IS NULL) = (result_attempt_number IS NULL))
);

CREATE INDEX IF NOT EXISTS payment_keys_created ON {schema}.payment_keys (created_at);

-- True when the arrays are of equal length, hold no negative amount, and the debits sum to the credits. Used by the
-- journal's CHECK, so an unbalanced entry is refused whoever inserts it.
CREATE OR REPLACE FUNCTION {schema}.payment_journal_balanced(p_accounts text[], p_debits bigint[], p_credits bigint[])
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT cardinality(p_accounts) > 0
       AND cardinality(p_accounts) = cardinality(p_debits) AND cardinality(p_accounts) = cardinality(p_credits)
       AND coalesce((SELECT bool_and(d >= 0 AND c >= 0) AND sum(d) = sum(c)
                       FROM unnest(p_debits, p_credits) AS l(d, c)), false)
$fn$;

-- One row per journal entry, its lines as parallel arrays: the balance CHECK sees the whole entry in one row.
-- (payment_id, attempt_number) is the key, so an attempt is booked once.
CREATE TABLE IF NOT EXISTS {schema}.payment_journal (
    payment_id     text COLLATE "C" NOT NULL,
    attempt_number int NOT NULL,
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    kind           text NOT NULL,
    currency       text NOT NULL,
    accounts       text[] NOT NULL,
    debits         bigint[] NOT NULL,
    credits        bigint[] NOT NULL,
    booked_at      timestamptz NOT NULL,
    PRIMARY KEY (payment_id, attempt_number),
    CONSTRAINT payment_journal_balanced CHECK ({schema}.payment_journal_balanced(accounts, debits, credits))
);

CREATE TABLE IF NOT EXISTS {schema}.payment_webhook_events (
    provider    text COLLATE "C" NOT NULL,
    event_id    text COLLATE "C" NOT NULL,
    kind        text NOT NULL,
    payment_id  text,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (provider, event_id)
);

CREATE INDEX IF NOT EXISTS payment_webhook_events_received ON {schema}.payment_webhook_events (received_at);

-- The payment a PSP's reference for an authorization belongs to; the first payment to report a reference keeps it.
CREATE TABLE IF NOT EXISTS {schema}.payment_psp_references (
    provider      text COLLATE "C" NOT NULL,
    psp_reference text COLLATE "C" NOT NULL,
    payment_id    text NOT NULL,
    PRIMARY KEY (provider, psp_reference)
);

CREATE TABLE IF NOT EXISTS {schema}.payment_outbox (
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

CREATE INDEX IF NOT EXISTS payment_outbox_pending ON {schema}.payment_outbox (position)
    WHERE published_at IS NULL AND dead_lettered_at IS NULL;
CREATE INDEX IF NOT EXISTS payment_outbox_published ON {schema}.payment_outbox (published_at) WHERE published_at IS NOT NULL;

-- The single-key claim, superseded by payment_claim_keys (the store batches every claim).
DROP FUNCTION IF EXISTS {schema}.payment_claim_key(timestamptz, text, smallint, text, text, smallint, timestamptz, int, timestamptz);

-- Claims a batch of distinct keys in one call and one transaction. Never waits for a lease: a held key is reported,
-- not queued behind. Per key: a new key is inserted (status 0 claimed); an open key or one whose lease expired is taken
-- over (1 resumed); otherwise it is read (2 completed, 3 in progress, 4 fingerprint mismatch). One insert for all, one
-- take-over for those that exist, one read for the rest; p_nows[i] is key i's clock. Returns one row per key (o_req
-- its position) with the key as it is after the claim.
CREATE OR REPLACE FUNCTION {schema}.payment_claim_keys(
    p_nows timestamptz[], p_keys text[], p_operations smallint[], p_fingerprints text[], p_payment_ids text[], p_states smallint[],
    p_lease_expires_at timestamptz[], p_attempt_numbers int[], p_created_at timestamptz[])
RETURNS TABLE (o_req int, o_status smallint, o_operation smallint, o_fingerprint text, o_payment_id text, o_state smallint,
               o_lease_expires_at timestamptz, o_attempt_number int, o_result_outcome smallint, o_result_status smallint,
               o_result_attempt_number int, o_result_failure_code text, o_result_failure_message text, o_created_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
    n int := cardinality(p_keys);
    outcome smallint[] := array_fill(NULL::smallint, ARRAY[n]);
    seen {schema}.payment_keys[] := array_fill(NULL::{schema}.payment_keys, ARRAY[n]);
    todo int[];
    rec record;
BEGIN
    LOOP
        todo := ARRAY(SELECT i FROM generate_series(1, n) AS i WHERE outcome[i] IS NULL);
        EXIT WHEN cardinality(todo) = 0;

        -- In key order, so two calls racing on several keys wait for each other in one order.
        FOR rec IN WITH ins AS (
                       INSERT INTO {schema}.payment_keys AS k (key, operation, fingerprint, payment_id, state, lease_expires_at, attempt_number, created_at)
                       SELECT p_keys[t.i], p_operations[t.i], p_fingerprints[t.i], p_payment_ids[t.i], p_states[t.i], p_lease_expires_at[t.i],
                              p_attempt_numbers[t.i], p_created_at[t.i]
                         FROM unnest(todo) AS t(i)
                        ORDER BY p_keys[t.i]
                       ON CONFLICT (key) DO NOTHING
                       RETURNING k)
                   SELECT t.i, ins.k FROM ins JOIN unnest(todo) AS t(i) ON p_keys[t.i] = (ins.k).key
        LOOP
            outcome[rec.i] := 0;
            seen[rec.i] := rec.k;
        END LOOP;

        -- Take over an open key or an expired lease; the row lock and READ COMMITTED's recheck let one claimer win.
        FOR rec IN UPDATE {schema}.payment_keys k
                      SET state = 0, lease_expires_at = p_lease_expires_at[t.i]
                     FROM unnest(todo) AS t(i)
                    WHERE outcome[t.i] IS NULL AND k.key = p_keys[t.i] AND k.fingerprint = p_fingerprints[t.i]
                      AND (k.state = 1 OR (k.state = 0 AND k.lease_expires_at <= p_nows[t.i]))
                   RETURNING t.i, k
        LOOP
            outcome[rec.i] := 1;
            seen[rec.i] := rec.k;
        END LOOP;

        FOR rec IN SELECT t.i, k FROM unnest(todo) AS t(i) JOIN {schema}.payment_keys k ON k.key = p_keys[t.i] WHERE outcome[t.i] IS NULL
        LOOP
            outcome[rec.i] := CASE WHEN (rec.k).fingerprint <> p_fingerprints[rec.i] THEN 4 WHEN (rec.k).state = 2 THEN 2 ELSE 3 END;
            seen[rec.i] := rec.k;
        END LOOP;
        -- A key forgotten or reaped between the statements is claimed afresh on the next round.
    END LOOP;

    RETURN QUERY
    SELECT i, outcome[i], (seen[i]).operation, (seen[i]).fingerprint, (seen[i]).payment_id, (seen[i]).state,
           (seen[i]).lease_expires_at, (seen[i]).attempt_number, (seen[i]).result_outcome, (seen[i]).result_status,
           (seen[i]).result_attempt_number, (seen[i]).result_failure_code, (seen[i]).result_failure_message, (seen[i]).created_at
      FROM generate_series(1, n) AS i;
END
$fn$;

-- Writes one change of a payment atomically: the payment (inserted when p_expected_version is 0, else updated only if
-- its version is still p_expected_version), its attempts, PSP references, journal entries, outbox events, the caller
-- key's record and the webhook receipt. Returns 0 written, 1 version conflict, 2 duplicate webhook; on 1 and 2
-- nothing is written. Journal entry e owns lines first_line[e] .. first_line[e] + p_journal_line_counts[e] - 1.
-- The signature before attempts carried request_key (a new argument makes a new overload: drop the old one).
DROP FUNCTION IF EXISTS {schema}.payment_write(bigint, text, bigint, smallint, bigint, text, text, text, text[], bigint[], int[], bigint, bigint, bigint, boolean, timestamptz, timestamptz, int[], smallint[], text[], bigint[], boolean[], text[], smallint[], text[], text[], text[], int[], timestamptz[], timestamptz[], int[], text[], timestamptz[], int[], text[], bigint[], bigint[], uuid[], text[], text[], timestamptz[], text[], text, smallint, text, text, smallint, timestamptz, int, smallint, smallint, int, text, text, timestamptz, text, text, text, text, timestamptz);

CREATE OR REPLACE FUNCTION {schema}.payment_write(
    p_expected_version bigint, p_id text, p_version bigint, p_status smallint, p_amount_minor bigint, p_currency text,
    p_payment_method text, p_order_id text, p_split_sellers text[], p_split_amounts bigint[], p_split_bps int[],
    p_authorized_minor bigint, p_captured_minor bigint, p_refunded_minor bigint, p_capture_closed boolean,
    p_created_at timestamptz, p_updated_at timestamptz,
    a_number int[], a_operation smallint[], a_provider text[], a_amount_minor bigint[], a_is_final boolean[],
    a_psp_key text[], a_status smallint[], a_psp_reference text[], a_failure_code text[], a_failure_message text[],
    a_resolve_tries int[], a_created_at timestamptz[], a_updated_at timestamptz[], a_request_key text[],
    p_journal_attempts int[], p_journal_kinds text[], p_journal_booked_at timestamptz[], p_journal_line_counts int[],
    p_line_accounts text[], p_line_debits bigint[], p_line_credits bigint[],
    p_event_ids uuid[], p_event_types text[], p_event_streams text[], p_event_occurred_at timestamptz[], p_event_payloads text[],
    k_key text, k_operation smallint, k_fingerprint text, k_payment_id text, k_state smallint, k_lease_expires_at timestamptz,
    k_attempt_number int, k_result_outcome smallint, k_result_status smallint, k_result_attempt_number int,
    k_result_failure_code text, k_result_failure_message text, k_created_at timestamptz,
    w_provider text, w_event_id text, w_kind text, w_payment_id text, w_received_at timestamptz)
RETURNS smallint
LANGUAGE plpgsql AS $fn$
DECLARE
    status smallint;
BEGIN
    IF w_provider IS NOT NULL THEN
        -- The webhook receipt first, so a duplicate is found before anything is written; for an update, the payment is
        -- locked at its expected version first, so the write below cannot lose a race after the receipt went in.
        IF p_expected_version = 0 THEN
            IF EXISTS (SELECT 1 FROM {schema}.payments WHERE id = p_id) THEN
                RETURN 1;
            END IF;
        ELSE
            PERFORM 1 FROM {schema}.payments WHERE id = p_id AND version = p_expected_version FOR UPDATE;
            IF NOT FOUND THEN
                RETURN 1;
            END IF;
        END IF;
        INSERT INTO {schema}.payment_webhook_events (provider, event_id, kind, payment_id, received_at)
        VALUES (w_provider, w_event_id, w_kind, w_payment_id, w_received_at)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            RETURN 2;
        END IF;
    END IF;

    -- The change itself is payment_write_many's with arrays of one: one implementation of a payment write.
    status := ({schema}.payment_write_many(
        ARRAY[p_expected_version], ARRAY[p_id], ARRAY[p_version], ARRAY[p_status], ARRAY[p_amount_minor], ARRAY[p_currency],
        ARRAY[p_payment_method], ARRAY[p_order_id], ARRAY[coalesce(cardinality(p_split_sellers), 0)], p_split_sellers, p_split_amounts, p_split_bps,
        ARRAY[p_authorized_minor], ARRAY[p_captured_minor], ARRAY[p_refunded_minor], ARRAY[p_capture_closed],
        ARRAY[p_created_at], ARRAY[p_updated_at],
        ARRAY[coalesce(cardinality(a_number), 0)], a_number, a_operation, a_provider, a_amount_minor, a_is_final,
        a_psp_key, a_status, a_psp_reference, a_failure_code, a_failure_message,
        a_resolve_tries, a_created_at, a_updated_at, a_request_key,
        ARRAY[coalesce(cardinality(p_journal_attempts), 0)], p_journal_attempts, p_journal_kinds, p_journal_booked_at, p_journal_line_counts,
        p_line_accounts, p_line_debits, p_line_credits,
        ARRAY[coalesce(cardinality(p_event_ids), 0)], p_event_ids, p_event_types, p_event_streams, p_event_occurred_at, p_event_payloads,
        ARRAY[k_key], ARRAY[k_operation], ARRAY[k_fingerprint], ARRAY[k_payment_id], ARRAY[k_state],
        ARRAY[k_lease_expires_at], ARRAY[k_attempt_number], ARRAY[k_result_outcome], ARRAY[k_result_status],
        ARRAY[k_result_attempt_number], ARRAY[k_result_failure_code], ARRAY[k_result_failure_message], ARRAY[k_created_at]))[1];
    IF status <> 0 AND w_provider IS NOT NULL THEN
        -- A payment created meanwhile by a concurrent insert: take the receipt back (this transaction's own row).
        DELETE FROM {schema}.payment_webhook_events WHERE provider = w_provider AND event_id = w_event_id;
    END IF;
    RETURN status;
END
$fn$;

-- Writes a batch of payment changes of distinct payments in one call and one transaction (group commit), each as
-- payment_write would, set-based: one statement per table for the whole batch. Payment i owns splits
-- first_s[i] .. first_s[i] + p_split_counts[i] - 1 of the p_split_* arrays, and likewise its attempts (a_counts, a_*),
-- journal entries (j_counts, j_*; entry e owns lines first_l[e] .. of the l_* arrays), outbox events (e_counts,
-- e_*) and its key record (k_*[i], k_keys[i] null for none). Webhook receipts go through payment_write. Payment ids
-- and keys must be distinct within a call. Returns each change's status: 0 written, 1 version conflict (nothing of it
-- written). A change the schema refuses (a CHECK, a journal entry booked twice) raises and undoes the whole call:
-- the caller then writes the changes one by one.
CREATE OR REPLACE FUNCTION {schema}.payment_write_many(
    p_expected_versions bigint[], p_ids text[], p_versions bigint[], p_statuses smallint[], p_amounts bigint[], p_currencies text[],
    p_payment_methods text[], p_order_ids text[], p_split_counts int[], p_split_sellers text[], p_split_amounts bigint[], p_split_bps int[],
    p_authorized bigint[], p_captured bigint[], p_refunded bigint[], p_capture_closed boolean[],
    p_created_at timestamptz[], p_updated_at timestamptz[],
    a_counts int[], a_number int[], a_operation smallint[], a_provider text[], a_amount_minor bigint[], a_is_final boolean[],
    a_psp_key text[], a_status smallint[], a_psp_reference text[], a_failure_code text[], a_failure_message text[],
    a_resolve_tries int[], a_created_at timestamptz[], a_updated_at timestamptz[], a_request_key text[],
    j_counts int[], j_attempts int[], j_kinds text[], j_booked_at timestamptz[], j_line_counts int[],
    l_accounts text[], l_debits bigint[], l_credits bigint[],
    e_counts int[], e_ids uuid[], e_types text[], e_streams text[], e_occurred_at timestamptz[], e_payloads text[],
    k_keys text[], k_operations smallint[], k_fingerprints text[], k_payment_ids text[], k_states smallint[],
    k_lease_expires_at timestamptz[], k_attempt_numbers int[], k_result_outcomes smallint[], k_result_statuses smallint[],
    k_result_attempt_numbers int[], k_result_failure_codes text[], k_result_failure_messages text[], k_created_at timestamptz[])
RETURNS smallint[]
LANGUAGE plpgsql AS $fn$
DECLARE
    n int := cardinality(p_ids);
    outcome smallint[] := array_fill(1::smallint, ARRAY[n]);
    first_s int[] := array_fill(0, ARRAY[n]);
    first_a int[] := array_fill(0, ARRAY[n]);
    first_j int[] := array_fill(0, ARRAY[n]);
    first_e int[] := array_fill(0, ARRAY[n]);
    first_l int[] := array_fill(0, ARRAY[cardinality(j_attempts)]);
    pos_s int := 1;
    pos_a int := 1;
    pos_j int := 1;
    pos_e int := 1;
    pos_l int := 1;
    written int[];
    w int;
BEGIN
    FOR i IN 1 .. n LOOP
        first_s[i] := pos_s;
        pos_s := pos_s + p_split_counts[i];
        first_a[i] := pos_a;
        pos_a := pos_a + a_counts[i];
        first_j[i] := pos_j;
        pos_j := pos_j + j_counts[i];
        first_e[i] := pos_e;
        pos_e := pos_e + e_counts[i];
    END LOOP;
    FOR e IN 1 .. cardinality(j_attempts) LOOP
        first_l[e] := pos_l;
        pos_l := pos_l + j_line_counts[e];
    END LOOP;

    -- New payments are inserted, the others updated only at their expected version; the ones written go on.
    WITH ins AS (
        INSERT INTO {schema}.payments (id, version, status, amount_minor, currency, payment_method, order_id,
                                       split_sellers, split_amounts, split_bps, authorized_minor, captured_minor,
                                       refunded_minor, capture_closed, unsettled, created_at, updated_at)
        SELECT p_ids[i], p_versions[i], p_statuses[i], p_amounts[i], p_currencies[i], p_payment_methods[i], p_order_ids[i],
               p_split_sellers[first_s[i] : first_s[i] + p_split_counts[i] - 1],
               p_split_amounts[first_s[i] : first_s[i] + p_split_counts[i] - 1],
               p_split_bps[first_s[i] : first_s[i] + p_split_counts[i] - 1],
               p_authorized[i], p_captured[i], p_refunded[i], p_capture_closed[i],
               coalesce(0 = ANY (a_status[first_a[i] : first_a[i] + a_counts[i] - 1])
                        OR 4 = ANY (a_status[first_a[i] : first_a[i] + a_counts[i] - 1]), false),
               p_created_at[i], p_updated_at[i]
          FROM generate_series(1, n) AS i
         WHERE p_expected_versions[i] = 0
         ORDER BY p_ids[i]
        ON CONFLICT (id) DO NOTHING
        RETURNING id),
    upd AS (
        UPDATE {schema}.payments p
           SET version = p_versions[u.i], status = p_statuses[u.i], amount_minor = p_amounts[u.i], currency = p_currencies[u.i],
               payment_method = p_payment_methods[u.i], order_id = p_order_ids[u.i],
               split_sellers = p_split_sellers[first_s[u.i] : first_s[u.i] + p_split_counts[u.i] - 1],
               split_amounts = p_split_amounts[first_s[u.i] : first_s[u.i] + p_split_counts[u.i] - 1],
               split_bps = p_split_bps[first_s[u.i] : first_s[u.i] + p_split_counts[u.i] - 1],
               authorized_minor = p_authorized[u.i], captured_minor = p_captured[u.i], refunded_minor = p_refunded[u.i],
               capture_closed = p_capture_closed[u.i],
               unsettled = coalesce(0 = ANY (a_status[first_a[u.i] : first_a[u.i] + a_counts[u.i] - 1])
                                    OR 4 = ANY (a_status[first_a[u.i] : first_a[u.i] + a_counts[u.i] - 1]), false),
               created_at = p_created_at[u.i], updated_at = p_updated_at[u.i]
          FROM unnest(p_ids, p_expected_versions) WITH ORDINALITY AS u(id, expected, i)
         WHERE u.expected > 0 AND p.id = u.id AND p.version = u.expected
        RETURNING p.id)
    SELECT coalesce(array_agg(i ORDER BY i), '{}') INTO written
      FROM generate_series(1, n) AS i
     WHERE p_ids[i] IN (SELECT id FROM ins UNION ALL SELECT id FROM upd);

    IF cardinality(written) = 0 THEN
        RETURN outcome;
    END IF;
    FOREACH w IN ARRAY written LOOP
        outcome[w] := 0;
    END LOOP;

    -- Every attempt is sent (a payment has a handful); rows that did not change are left as they are.
    INSERT INTO {schema}.payment_attempts AS t (payment_id, number, operation, provider, amount_minor, is_final, psp_key, status,
                                                psp_reference, failure_code, failure_message, resolve_tries, created_at, updated_at,
                                                request_key)
    SELECT p_ids[x.w], a_number[j], a_operation[j], a_provider[j], a_amount_minor[j], a_is_final[j], a_psp_key[j], a_status[j],
           a_psp_reference[j], a_failure_code[j], a_failure_message[j], a_resolve_tries[j], a_created_at[j], a_updated_at[j],
           a_request_key[j]
      FROM unnest(written) AS x(w), generate_series(first_a[x.w], first_a[x.w] + a_counts[x.w] - 1) AS j
    ON CONFLICT (payment_id, number) DO UPDATE
       SET operation = excluded.operation, provider = excluded.provider, amount_minor = excluded.amount_minor,
           is_final = excluded.is_final, psp_key = excluded.psp_key, status = excluded.status,
           psp_reference = excluded.psp_reference, failure_code = excluded.failure_code,
           failure_message = excluded.failure_message, resolve_tries = excluded.resolve_tries,
           created_at = excluded.created_at, updated_at = excluded.updated_at, request_key = excluded.request_key
     WHERE (t.*) IS DISTINCT FROM (excluded.*);

    INSERT INTO {schema}.payment_psp_references (provider, psp_reference, payment_id)
    SELECT a_provider[j], a_psp_reference[j], p_ids[x.w]
      FROM unnest(written) WITH ORDINALITY AS x(w, o), generate_series(first_a[x.w], first_a[x.w] + a_counts[x.w] - 1) AS j
     WHERE a_operation[j] = 0 AND a_psp_reference[j] IS NOT NULL
     ORDER BY x.o, j
    ON CONFLICT DO NOTHING;

    IF cardinality(j_attempts) > 0 THEN
        INSERT INTO {schema}.payment_journal (payment_id, attempt_number, kind, currency, accounts, debits, credits, booked_at)
        SELECT p_ids[x.w], j_attempts[e], j_kinds[e], p_currencies[x.w],
               l_accounts[first_l[e] : first_l[e] + j_line_counts[e] - 1],
               l_debits[first_l[e] : first_l[e] + j_line_counts[e] - 1],
               l_credits[first_l[e] : first_l[e] + j_line_counts[e] - 1],
               j_booked_at[e]
          FROM unnest(written) WITH ORDINALITY AS x(w, o), generate_series(first_j[x.w], first_j[x.w] + j_counts[x.w] - 1) AS e
         ORDER BY x.o, e;
    END IF;

    IF cardinality(e_ids) > 0 THEN
        INSERT INTO {schema}.payment_outbox (event_id, event_type, stream_id, occurred_at, payload)
        SELECT e_ids[e], e_types[e], e_streams[e], e_occurred_at[e], e_payloads[e]::jsonb
          FROM unnest(written) WITH ORDINALITY AS x(w, o), generate_series(first_e[x.w], first_e[x.w] + e_counts[x.w] - 1) AS e
         ORDER BY x.o, e;
    END IF;

    INSERT INTO {schema}.payment_keys (key, operation, fingerprint, payment_id, state, lease_expires_at, attempt_number,
                                       result_outcome, result_status, result_attempt_number, result_failure_code,
                                       result_failure_message, created_at)
    SELECT k_keys[x.w], k_operations[x.w], k_fingerprints[x.w], k_payment_ids[x.w], k_states[x.w], k_lease_expires_at[x.w],
           k_attempt_numbers[x.w], k_result_outcomes[x.w], k_result_statuses[x.w], k_result_attempt_numbers[x.w],
           k_result_failure_codes[x.w], k_result_failure_messages[x.w], k_created_at[x.w]
      FROM unnest(written) AS x(w)
     WHERE k_keys[x.w] IS NOT NULL
     ORDER BY k_keys[x.w]
    ON CONFLICT (key) DO UPDATE
       SET operation = excluded.operation, fingerprint = excluded.fingerprint, payment_id = excluded.payment_id,
           state = excluded.state, lease_expires_at = excluded.lease_expires_at, attempt_number = excluded.attempt_number,
           result_outcome = excluded.result_outcome, result_status = excluded.result_status,
           result_attempt_number = excluded.result_attempt_number, result_failure_code = excluded.result_failure_code,
           result_failure_message = excluded.result_failure_message, created_at = excluded.created_at;

    RETURN outcome;
END
$fn$;

-- Deletes, in bounded batches, caller keys created before p_keys_before that no request holds, published events older
-- than p_keys_before, and webhook receipts received before p_webhooks_before. Returns how many keys it deleted.
-- SKIP LOCKED: a key being claimed or written right now is left for the next pass.
CREATE OR REPLACE FUNCTION {schema}.payment_reap(p_keys_before timestamptz, p_webhooks_before timestamptz, p_limit int)
RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
    keys_reaped int;
BEGIN
    DELETE FROM {schema}.payment_keys
     WHERE key IN (SELECT key FROM {schema}.payment_keys
                    WHERE created_at < p_keys_before AND state <> 0
                    ORDER BY created_at LIMIT p_limit FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS keys_reaped = ROW_COUNT;
    DELETE FROM {schema}.payment_outbox
     WHERE position IN (SELECT position FROM {schema}.payment_outbox
                         WHERE published_at < p_keys_before
                         ORDER BY published_at LIMIT p_limit FOR UPDATE SKIP LOCKED);
    DELETE FROM {schema}.payment_webhook_events
     WHERE (provider, event_id) IN (SELECT provider, event_id FROM {schema}.payment_webhook_events
                                     WHERE received_at < p_webhooks_before
                                     ORDER BY received_at LIMIT p_limit FOR UPDATE SKIP LOCKED);
    RETURN keys_reaped;
END
$fn$;
