using Commerce.PostgreSql.Schema;

namespace Commerce.PostgreSql.Payments;

public sealed partial class PostgreSqlPaymentStore
{
    /// <summary>The store's SQL, rendered once for the configured schema.</summary>
    private sealed class Sql(string schema)
    {
        /// <summary>Where the attempt columns start in a row of <see cref="PaymentColumns"/>.</summary>
        public const int AttemptColumn = 16;

        /// <summary>A payment's columns, then its attempt's (null when it has none); <see cref="ReadPaymentsAsync"/> reads them.</summary>
        /// <remarks>
        /// The queries join the attempts LATERAL, by the payment's key, with <c>OFFSET 0</c> so the planner keeps it a
        /// nested loop of index look-ups: as a plain join (or a LATERAL it flattens) it hashed the whole attempts table for
        /// a batch of a few dozen payments while the table was small (measured: 3.9 ms for 58 payments over 10,000 attempts).
        /// </remarks>
        private const string PaymentColumns = """
            p.id, p.version, p.status, p.amount_minor, p.currency, p.payment_method, p.order_id,
            p.split_sellers, p.split_amounts, p.split_bps, p.authorized_minor, p.captured_minor, p.refunded_minor,
            p.capture_closed, p.created_at, p.updated_at,
            a.number, a.operation, a.provider, a.amount_minor, a.is_final, a.psp_key, a.status, a.psp_reference,
            a.failure_code, a.failure_message, a.resolve_tries, a.created_at, a.updated_at, a.request_key
            """;

        /// <summary>A key's columns, in the order <see cref="ReadKey"/> reads them.</summary>
        private const string KeyColumns = """
            operation, fingerprint, payment_id, state, lease_expires_at, attempt_number, result_outcome, result_status,
            result_attempt_number, result_failure_code, result_failure_message, created_at
            """;

        public string ClaimKeys { get; } = SchemaMigrator.Render(
            "SELECT * FROM {schema}.payment_claim_keys($1, $2, $3, $4, $5, $6, $7, $8, $9)", schema);

        public string ForgetKey { get; } = SchemaMigrator.Render(
            "DELETE FROM {schema}.payment_keys WHERE key = $1 AND state = 0", schema);

        public string OpenKey { get; } = SchemaMigrator.Render(
            "UPDATE {schema}.payment_keys SET state = 1 WHERE key = $1 AND state = 0", schema);

        public string SaveKey { get; } = SchemaMigrator.Render("""
            INSERT INTO {schema}.payment_keys (key, operation, fingerprint, payment_id, state, lease_expires_at, attempt_number,
                                               result_outcome, result_status, result_attempt_number, result_failure_code,
                                               result_failure_message, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (key) DO UPDATE
               SET operation = excluded.operation, fingerprint = excluded.fingerprint, payment_id = excluded.payment_id,
                   state = excluded.state, lease_expires_at = excluded.lease_expires_at, attempt_number = excluded.attempt_number,
                   result_outcome = excluded.result_outcome, result_status = excluded.result_status,
                   result_attempt_number = excluded.result_attempt_number, result_failure_code = excluded.result_failure_code,
                   result_failure_message = excluded.result_failure_message, created_at = excluded.created_at
            """, schema);

        public string GetKey { get; } = SchemaMigrator.Render(
            $"SELECT {KeyColumns} FROM {{schema}}.payment_keys WHERE key = $1", schema);

        // One statement, so every payment and its attempts come from one snapshot.
        public string GetPayments { get; } = SchemaMigrator.Render($$"""
            SELECT {{PaymentColumns}}
              FROM {schema}.payments p
              LEFT JOIN LATERAL (SELECT * FROM {schema}.payment_attempts a WHERE a.payment_id = p.id OFFSET 0) a ON true
             WHERE p.id = ANY ($1)
             ORDER BY p.id, a.number
            """, schema);

        public string FindUnsettled { get; } = SchemaMigrator.Render($$"""
            SELECT {{PaymentColumns}}
              FROM (SELECT * FROM {schema}.payments
                     WHERE unsettled AND updated_at < $1
                     ORDER BY updated_at
                     LIMIT $2) p
              LEFT JOIN LATERAL (SELECT * FROM {schema}.payment_attempts a WHERE a.payment_id = p.id OFFSET 0) a ON true
             ORDER BY p.updated_at, p.id, a.number
            """, schema);

        /// <summary>One page of payments changed in [$1, $2), after the keyset ($3, $4), oldest change first.</summary>
        public string StreamChanged { get; } = SchemaMigrator.Render($$"""
            SELECT {{PaymentColumns}}
              FROM (SELECT * FROM {schema}.payments
                     WHERE updated_at >= $1 AND updated_at < $2 AND (updated_at, id) > ($3, $4)
                     ORDER BY updated_at, id
                     LIMIT $5) p
              LEFT JOIN LATERAL (SELECT * FROM {schema}.payment_attempts a WHERE a.payment_id = p.id OFFSET 0) a ON true
             ORDER BY p.updated_at, p.id, a.number
            """, schema);

        public string Write { get; } = SchemaMigrator.Render(
            "SELECT {schema}.payment_write(" + string.Join(", ", Enumerable.Range(1, 61).Select(static i => "$" + i)) + ")", schema);

        public string WriteMany { get; } = SchemaMigrator.Render(
            "SELECT {schema}.payment_write_many(" + string.Join(", ", Enumerable.Range(1, 60).Select(static i => "$" + i)) + ")", schema);

        public string RecordWebhook { get; } = SchemaMigrator.Render("""
            INSERT INTO {schema}.payment_webhook_events (provider, event_id, kind, payment_id, received_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            """, schema);

        public string IsWebhookRecorded { get; } = SchemaMigrator.Render(
            "SELECT EXISTS (SELECT 1 FROM {schema}.payment_webhook_events WHERE provider = $1 AND event_id = $2)", schema);

        public string FindByPspReference { get; } = SchemaMigrator.Render(
            "SELECT payment_id FROM {schema}.payment_psp_references WHERE provider = $1 AND psp_reference = $2", schema);

        public string GetJournal { get; } = SchemaMigrator.Render("""
            SELECT attempt_number, kind, currency, accounts, debits, credits, booked_at
              FROM {schema}.payment_journal
             WHERE payment_id = $1
             ORDER BY seq
            """, schema);

        // Sums are numeric in SQL; the cast to bigint fails loudly on overflow instead of wrapping.
        public string GetBalances { get; } = SchemaMigrator.Render("""
            SELECT l.account, j.currency, sum(l.debit)::bigint, sum(l.credit)::bigint
              FROM {schema}.payment_journal j, unnest(j.accounts, j.debits, j.credits) AS l(account, debit, credit)
             GROUP BY l.account, j.currency
             ORDER BY l.account COLLATE "C", j.currency COLLATE "C"
            """, schema);

        public string Reap { get; } = SchemaMigrator.Render("SELECT {schema}.payment_reap($1, $2, $3)", schema);
    }
}
