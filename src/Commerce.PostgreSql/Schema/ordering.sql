-- Commerce Engine ordering schema. Idempotent: safe to run on every start, from several instances at once (the
-- caller holds an advisory lock). {schema} is replaced by the configured schema name, validated as an identifier.
-- Every table has the order id in its primary key and no table has a foreign key, so all four can be distributed by
-- order id (and an order's rows stay together).

CREATE SCHEMA IF NOT EXISTS {schema};

-- The current state of each order. Lines are immutable after placement and kept as parallel arrays.
CREATE TABLE IF NOT EXISTS {schema}.ordering_orders (
    order_id         text COLLATE "C" NOT NULL PRIMARY KEY,
    buyer_id         text COLLATE "C" NOT NULL,
    currency         text NOT NULL,
    state            smallint NOT NULL,   -- OrderState
    version          bigint NOT NULL CHECK (version >= 1),
    placed_at        timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    shipping         bigint NOT NULL CHECK (shipping >= 0),
    tax              bigint NOT NULL CHECK (tax >= 0),
    refunded         bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    refund_requested bigint,
    payment_id       text,
    skus             text[] NOT NULL,
    sellers          text[] NOT NULL,
    quantities       bigint[] NOT NULL,
    unit_prices      bigint[] NOT NULL
);

CREATE INDEX IF NOT EXISTS ordering_orders_by_buyer ON {schema}.ordering_orders (buyer_id, placed_at DESC, order_id DESC);

-- One row per seller of an order. The order's state and placement time are copied here (in the same transaction as
-- every change) so that "a seller's orders in a state, newest first" is one index range.
CREATE TABLE IF NOT EXISTS {schema}.ordering_fulfilments (
    order_id        text COLLATE "C" NOT NULL,
    seller_id       text COLLATE "C" NOT NULL,
    state           smallint NOT NULL,   -- FulfilmentState
    tracking_number text,
    shipped_at      timestamptz,
    delivered_at    timestamptz,
    order_state     smallint NOT NULL,
    placed_at       timestamptz NOT NULL,
    PRIMARY KEY (order_id, seller_id)
);

CREATE INDEX IF NOT EXISTS ordering_fulfilments_by_seller_state ON {schema}.ordering_fulfilments (seller_id, order_state, placed_at DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS ordering_fulfilments_by_seller ON {schema}.ordering_fulfilments (seller_id, placed_at DESC, order_id DESC);

-- The history: one row per change, numbered per order. A command id appears at most once per order.
CREATE TABLE IF NOT EXISTS {schema}.ordering_events (
    order_id    text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    event_id    uuid NOT NULL,
    event_type  text NOT NULL,
    command_id  text COLLATE "C" NOT NULL,
    fingerprint uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    body        jsonb NOT NULL,   -- OrderEventPayload
    PRIMARY KEY (order_id, version),
    UNIQUE (order_id, command_id)
);

CREATE TABLE IF NOT EXISTS {schema}.ordering_outbox (
    order_id         text COLLATE "C" NOT NULL,
    position         bigint GENERATED ALWAYS AS IDENTITY,
    event_id         uuid NOT NULL,
    event_type       text NOT NULL,
    stream_id        text NOT NULL,
    occurred_at      timestamptz NOT NULL,
    payload          jsonb NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    available_at     timestamptz NOT NULL DEFAULT '-infinity',
    published_at     timestamptz,
    dead_lettered_at timestamptz,
    last_error       text,
    PRIMARY KEY (order_id, position)
);

CREATE INDEX IF NOT EXISTS ordering_outbox_pending ON {schema}.ordering_outbox (position)
    WHERE published_at IS NULL AND dead_lettered_at IS NULL;

-- Appends one event in one call: the conditional write of the order on its version (an insert for version 1), its
-- fulfilments, the event and the outbox message, in one transaction. The order row is written first, so concurrent
-- appends to one order queue on its lock, and an order's outbox positions follow its versions.
-- o_status: 0 appended, 1 version conflict (or the order exists, for version 1), 2 command id already recorded.
CREATE OR REPLACE FUNCTION {schema}.ordering_append(
    p_order_id text, p_version bigint, p_command_id text, p_fingerprint uuid, p_event_id uuid, p_event_type text,
    p_occurred_at timestamptz, p_body jsonb, p_state smallint, p_refunded bigint, p_refund_requested bigint, p_payment_id text,
    p_f_sellers text[], p_f_states smallint[], p_f_tracking text[], p_f_shipped timestamptz[], p_f_delivered timestamptz[],
    p_buyer_id text, p_currency text, p_shipping bigint, p_tax bigint,
    p_skus text[], p_sellers text[], p_quantities bigint[], p_unit_prices bigint[], p_events boolean)
RETURNS TABLE (o_status smallint, o_version bigint, o_fingerprint uuid)
LANGUAGE plpgsql AS $fn$
DECLARE
    placed timestamptz;
BEGIN
    IF p_version = 1 THEN
        INSERT INTO {schema}.ordering_orders (order_id, buyer_id, currency, state, version, placed_at, updated_at, shipping, tax,
                                              refunded, refund_requested, payment_id, skus, sellers, quantities, unit_prices)
        VALUES (p_order_id, p_buyer_id, p_currency, p_state, 1, p_occurred_at, p_occurred_at, p_shipping, p_tax,
                p_refunded, p_refund_requested, p_payment_id, p_skus, p_sellers, p_quantities, p_unit_prices)
        ON CONFLICT (order_id) DO NOTHING
        RETURNING placed_at INTO placed;
        IF FOUND THEN
            INSERT INTO {schema}.ordering_fulfilments (order_id, seller_id, state, tracking_number, shipped_at, delivered_at, order_state, placed_at)
            SELECT p_order_id, u.seller, u.state, u.tracking, u.shipped, u.delivered, p_state, placed
              FROM unnest(p_f_sellers, p_f_states, p_f_tracking, p_f_shipped, p_f_delivered) AS u(seller, state, tracking, shipped, delivered);
        END IF;
    ELSE
        UPDATE {schema}.ordering_orders
           SET state = p_state, version = p_version, updated_at = p_occurred_at, refunded = p_refunded,
               refund_requested = p_refund_requested, payment_id = p_payment_id
         WHERE order_id = p_order_id AND version = p_version - 1
        RETURNING placed_at INTO placed;
        IF FOUND THEN
            UPDATE {schema}.ordering_fulfilments f
               SET state = u.state, tracking_number = u.tracking, shipped_at = u.shipped, delivered_at = u.delivered, order_state = p_state
              FROM unnest(p_f_sellers, p_f_states, p_f_tracking, p_f_shipped, p_f_delivered) AS u(seller, state, tracking, shipped, delivered)
             WHERE f.order_id = p_order_id AND f.seller_id = u.seller;
        END IF;
    END IF;

    IF placed IS NULL THEN
        -- Nothing written. Read in a new snapshot: a concurrent append that beat us has committed by now.
        RETURN QUERY
        SELECT coalesce((SELECT 2::smallint FROM {schema}.ordering_events e WHERE e.order_id = p_order_id AND e.command_id = p_command_id), 1::smallint),
               (SELECT e.version FROM {schema}.ordering_events e WHERE e.order_id = p_order_id AND e.command_id = p_command_id),
               (SELECT e.fingerprint FROM {schema}.ordering_events e WHERE e.order_id = p_order_id AND e.command_id = p_command_id);
        RETURN;
    END IF;

    INSERT INTO {schema}.ordering_events (order_id, version, event_id, event_type, command_id, fingerprint, occurred_at, body)
    VALUES (p_order_id, p_version, p_event_id, p_event_type, p_command_id, p_fingerprint, p_occurred_at, p_body);

    IF p_events THEN
        INSERT INTO {schema}.ordering_outbox (order_id, event_id, event_type, stream_id, occurred_at, payload)
        VALUES (p_order_id, p_event_id, p_event_type, p_order_id, p_occurred_at, p_body);
    END IF;

    RETURN QUERY SELECT 0::smallint, p_version, p_fingerprint;
END
$fn$;
