namespace Commerce.LoadTests.Payments;

/// <summary>
/// The raw limit of the payments engine: pgbench making, per authorize+capture pair, the same six database calls that
/// <c>PaymentService</c> makes through <c>PostgreSqlPaymentStore</c>, with the same functions, the same row contents and
/// each call its own durable transaction (with <c>--pgbench-batch k</c>, each call for k payments): claim the authorize
/// key (<c>payment_claim_keys</c>) and read the payment, two statements in one pipeline and one implicit transaction as
/// the store sends them; write it with a pending attempt (<c>payment_write_many</c>); write the settled authorization
/// (event, completed key); then the same three for the capture, whose settling write also books the journal entry. The store coalesces concurrent
/// calls of one kind into one call over arrays; pgbench makes each call for one payment (arrays of one). Only the PSP
/// (simulated, zero latency in the engine), the coalescing and the C# around the calls are missing.
/// </summary>
internal static class PaymentsPgBench
{
    private const string Fingerprint = "9f2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e";

    /// <summary>The script with <paramref name="batch"/> payments per call (see <see cref="PgBenchBatching"/>).</summary>
    public static string Script(string schema, string idPrefix, int batch) =>
        batch == 1
            ? Script(schema, idPrefix)
            : string.Join('\n', Script(schema, idPrefix).Split('\n').Select(line => line.StartsWith('\\') ? line : PgBenchBatching.Batched(line, batch, skus: 1)));

    public static string Script(string schema, string idPrefix)
    {
        var s = schema;
        var id = $"('{idPrefix}-' || :client_id::text || '-' || :n::text)";
        var authorizeKey = $"('{idPrefix}-a-' || :client_id::text || '-' || :n::text)";
        var captureKey = $"('{idPrefix}-c-' || :client_id::text || '-' || :n::text)";
        return $"""
            \set n :n + 1
            \startpipeline
            {Claim(s, authorizeKey, id, 0)}
            {Read(s, id)}
            \endpipeline
            {Write(s, id, expected: 1, status: 0, authorized: 0, captured: 0, attempts: Attempts(id, authorizeKey, authorize: 0, captureKey, capture: null), journal: false,
                event_: null, key: NoKey)}
            {Write(s, id, expected: 2, status: 1, authorized: 2500, captured: 0, attempts: Attempts(id, authorizeKey, authorize: 1, captureKey, capture: null), journal: false,
                event_: Event(id, "authorized", "authorize", 1, 2500, 0), key: Key(authorizeKey, id, operation: 0, state: 2, attempt: 1, result: "0::smallint, 1::smallint, 1"))}
            \startpipeline
            {Claim(s, captureKey, id, 1)}
            {Read(s, id)}
            \endpipeline
            {Write(s, id, expected: 3, status: 1, authorized: 2500, captured: 0, attempts: Attempts(id, authorizeKey, authorize: 1, captureKey, capture: 0), journal: false,
                event_: null, key: NoKey)}
            {Write(s, id, expected: 4, status: 3, authorized: 2500, captured: 2500, attempts: Attempts(id, authorizeKey, authorize: 1, captureKey, capture: 1), journal: true,
                event_: Event(id, "captured", "capture", 2, 2500, 2500), key: Key(captureKey, id, operation: 1, state: 2, attempt: 2, result: "0::smallint, 3::smallint, 2"))}

            """;
    }

    private static string Claim(string s, string key, string id, int operation) =>
        $"SELECT * FROM {s}.payment_claim_keys(ARRAY[now()], ARRAY[{key}], '{{{operation}}}', '{{{Fingerprint}}}', ARRAY[{id}], '{{0}}', "
        + "ARRAY[now() + interval '30 seconds'], '{NULL}', ARRAY[now()]);";

    private static string Read(string s, string id) => $"""
        SELECT p.id, p.version, p.status, p.amount_minor, p.currency, p.payment_method, p.order_id, p.split_sellers, p.split_amounts, p.split_bps, p.authorized_minor, p.captured_minor, p.refunded_minor, p.capture_closed, p.created_at, p.updated_at, a.number, a.operation, a.provider, a.amount_minor, a.is_final, a.psp_key, a.status, a.psp_reference, a.failure_code, a.failure_message, a.resolve_tries, a.created_at, a.updated_at, a.request_key FROM {s}.payments p LEFT JOIN {s}.payment_attempts a ON a.payment_id = p.id WHERE p.id = ANY (ARRAY[{id}]) ORDER BY p.id, a.number;
        """;

    /// <summary>One <c>payment_write_many</c> call for one payment (its 60 arguments in the function's order), written as one line: pgbench reads a statement per line.</summary>
    private static string Write(string s, string id, int expected, int status, int authorized, int captured, string attempts, bool journal, string? event_, string key)
    {
        var version = expected;
        var expectedVersion = expected - 1;
        var attemptCount = attempts.Contains("'{1,2}'", StringComparison.Ordinal) ? 2 : 1;
        var journalArgs = journal
            ? "'{1}', '{2}', '{capture}', ARRAY[now()], '{2}', ARRAY['psp_clearing' || ':' || 'simulated', 'platform_sales'], '{2500,0}', '{0,2500}'"
            : "'{0}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'";
        var eventArgs = event_ is null
            ? "'{0}', '{}', '{}', '{}', '{}', '{}'"
            : $"'{{1}}', ARRAY[gen_random_uuid()], ARRAY['payments.payment.{(status == 3 ? "captured" : "authorized")}'], ARRAY[{id}], ARRAY[now()], ARRAY[{event_}]";
        return $"SELECT {s}.payment_write_many('{{{expectedVersion}}}', ARRAY[{id}], '{{{version}}}', '{{{status}}}', '{{2500}}', '{{EUR}}', '{{pm_card_visa}}', '{{NULL}}', "
            + $"'{{0}}', '{{}}', '{{}}', '{{}}', '{{{authorized}}}', '{{{captured}}}', '{{0}}', '{{f}}', ARRAY[now()], ARRAY[now()], '{{{attemptCount}}}', {attempts}, "
            + $"{journalArgs}, {eventArgs}, {key});";
    }

    /// <summary>
    /// The 14 attempt arrays (the last: each attempt's request key): the authorization, then the capture when there is
    /// one (statuses: 0 pending, 1 succeeded).
    /// </summary>
    private static string Attempts(string id, string authorizeKey, int authorize, string captureKey, int? capture)
    {
        var reference = authorize == 1 ? $"'sim_' || {id}" : "NULL";
        if (capture is not { } c)
        {
            return $"'{{1}}', '{{0}}', '{{simulated}}', '{{2500}}', '{{f}}', ARRAY[{id} || ':' || '1' || ':' || 'authorize'], '{{{authorize}}}', ARRAY[{reference}], "
                + $"'{{NULL}}', '{{NULL}}', '{{0}}', ARRAY[now()], ARRAY[now()], ARRAY[{authorizeKey}]";
        }

        var captureReference = c == 1 ? $"'sim_cap_' || {id}" : "NULL";
        return $"'{{1,2}}', '{{0,1}}', '{{simulated,simulated}}', '{{2500,2500}}', '{{f,f}}', ARRAY[{id} || ':' || '1' || ':' || 'authorize', {id} || ':' || '2' || ':' || 'capture'], "
            + $"'{{{authorize},{c}}}', ARRAY[{reference}, {captureReference}], '{{NULL,NULL}}', '{{NULL,NULL}}', '{{0,0}}', ARRAY[now(), now()], ARRAY[now(), now()], "
            + $"ARRAY[{authorizeKey}, {captureKey}]";
    }

    /// <summary>
    /// A payment event's JSON, the shape <c>PaymentEventFactory</c> writes. A space follows every colon, and PSP keys are
    /// concatenated around their colons: pgbench takes <c>:name</c> for a variable even inside a string literal.
    /// </summary>
    private static string Event(string id, string status, string operation, int attempt, int authorized, int captured) =>
        $"'{{\"paymentId\": \"' || {id} || '\", \"orderId\": null, \"status\": \"{status}\", \"attempt\": {attempt}, \"operation\": \"{operation}\", \"provider\": \"simulated\", "
        + $"\"amountMinor\": 2500, \"currency\": \"EUR\", \"authorizedMinor\": {authorized}, \"capturedMinor\": {captured}, \"refundedMinor\": 0, \"failureCode\": null}}'";

    /// <summary>The 13 key arrays of a write that carries no key (the first write of each operation).</summary>
    private const string NoKey = "'{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}'";

    /// <summary>The 13 key arrays; <paramref name="result"/> is "outcome, status, attempt" once completed.</summary>
    private static string Key(string key, string id, int operation, int state, int attempt, string? result)
    {
        var parts = (result ?? "NULL, NULL, NULL").Split(", ");
        return $"ARRAY[{key}], '{{{operation}}}', '{{{Fingerprint}}}', ARRAY[{id}], '{{{state}}}', ARRAY[now() + interval '30 seconds'], '{{{attempt}}}', "
            + $"ARRAY[{parts[0]}], ARRAY[{parts[1]}], ARRAY[{parts[2]}]::int[], '{{NULL}}', '{{NULL}}', ARRAY[now()]";
    }
}
