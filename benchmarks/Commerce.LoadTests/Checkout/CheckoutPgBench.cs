using Commerce.LoadTests.Payments;

namespace Commerce.LoadTests.Checkout;

/// <summary>
/// The raw limit of a checkout on PostgreSQL: pgbench making, per checkout, the same nine database calls that
/// <c>CheckoutService</c> makes through the PostgreSQL stores, with the same functions and row contents, each call its
/// own durable transaction: <c>checkout_begin</c> (key, reservation, order placed), the authorization's three payment
/// calls (the key claim and the payment read share one), <c>checkout_step_many</c> (commit the reservation, mark the
/// order paid, saga at paid), the capture's three payment calls, and <c>checkout_step_many</c> (saga completed). The stores coalesce concurrent calls of one kind
/// into one call over arrays (one commit per batch); pgbench cannot, so each of its calls carries one checkout. The payment calls are those of the payments comparison (<see cref="PaymentsPgBench"/>), for the
/// checkout's payment id. Only the PSP and the C# around the calls are missing.
/// </summary>
internal static class CheckoutPgBench
{
    private const string Fingerprint = "6f1d2c3b-0a4e-4f5d-9c8b-7a6e5d4c3b2a";

    public static string Script(CheckoutLoadOptions options, string scenario, string idPrefix)
    {
        var s = options.Schema;
        var id = $"('{idPrefix}-' || :client_id::text || '-' || :n::text)";
        var sku = scenario == "hot" ? $"'{CheckoutBenchDatabase.HotSku}'" : "('sku-' || :sku::text)";
        var pick = scenario == "hot" ? string.Empty : $"\\set sku random(1, {options.Skus})\n";

        // The payments script: "\set n", then the authorization's calls (a pipeline of claim and read, two writes), then the capture's.
        var payments = PaymentsPgBench.Script(s, idPrefix).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var authorize = string.Join('\n', payments[1..7]);
        var capture = string.Join('\n', payments[7..13]);
        var begin = $"SELECT * FROM {s}.checkout_begin(now(), ARRAY[{id}], ARRAY['k-' || {id}], ARRAY[{Saga(id, sku, 1, 1)}], ARRAY[now() + interval '60 seconds'], 1::smallint, "
            + $"ARRAY[{id}], ARRAY['{Fingerprint}'::uuid], ARRAY[now() + interval '10 minutes'], '{{1}}', ARRAY[{sku}], '{{{CheckoutBenchDatabase.Location}}}', '{{1}}', true, "
            + $"ARRAY[{id}], 'checkout-place', ARRAY['{Fingerprint}'::uuid], ARRAY[gen_random_uuid()], 'ordering.order.placed', ARRAY[{Placed(id, sku)}], 2::smallint, "
            + $"ARRAY['b-' || {id}], '{{EUR}}', '{{0}}', '{{0}}', '{{1}}', ARRAY[{sku}], '{{seller-1}}', '{{1}}', '{{2500}}', '{{1}}', '{{seller-1}}', '{{0}}', true);";
        var confirm = $"SELECT * FROM {s}.checkout_step_many(ARRAY[now()], ARRAY[{id}], '{{2}}', '{{2}}', '{{t}}', ARRAY[now() + interval '60 seconds'], ARRAY[{Saga(id, sku, 2, 2)}], "
            + $"ARRAY[{id}], '{{1}}', '{{t}}', true, ARRAY[{id}], '{{2}}', '{{checkout-paid}}', ARRAY['{Fingerprint}'::uuid], ARRAY[gen_random_uuid()], '{{ordering.order.paid}}', "
            + $"ARRAY[{Paid(id)}], '{{3}}', '{{0}}', '{{NULL}}', ARRAY[{id}], '{{1}}', '{{seller-1}}', '{{0}}', '{{NULL}}', '{{NULL}}', '{{NULL}}', true);";
        var complete = $"SELECT * FROM {s}.checkout_step_many(ARRAY[now()], ARRAY[{id}], '{{3}}', '{{4}}', '{{f}}', ARRAY[now() + interval '60 seconds'], ARRAY[{Saga(id, sku, 3, 4)}], "
            + "'{NULL}', '{NULL}', '{f}', true, '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', "
            + "'{0}', '{}', '{}', '{}', '{}', '{}', true);";
        var statements = string.Join('\n', begin, authorize, confirm, capture, complete);
        if (options.PgBenchBatch > 1)
        {
            statements = string.Join('\n', statements.Split('\n').Select(line => line.StartsWith('\\') ? line : PgBenchBatching.Batched(line, options.PgBenchBatch, options.Skus)));
        }

        return $"\\set n :n + 1\n{pick}{statements}\n";
    }

    /// <summary>
    /// A saga document of the shape and size the store writes. Times come from <c>now()</c> and keys are concatenated:
    /// pgbench takes <c>:name</c> for a variable even inside a string literal.
    /// </summary>
    private static string Saga(string id, string sku, int version, int step) =>
        $"('{{\"id\": \"' || {id} || '\", \"idempotencyKey\": \"k-' || {id} || '\", \"fingerprint\": \"{Fingerprint}\", \"buyer\": \"b-' || {id} || '\", "
        + $"\"currency\": \"EUR\", \"lines\": [{{\"sku\": \"' || {sku} || '\", \"seller\": \"seller-1\", \"quantity\": 1, \"unitPriceMinor\": 2500}}], "
        + $"\"totalMinor\": 2500, \"paymentMethod\": \"tok_visa\", \"captureMode\": 0, \"reservationId\": \"' || {id} || '\", \"orderId\": \"' || {id} || '\", "
        + $"\"paymentId\": \"' || {id} || '\", \"reservationExpiresAt\": \"' || now() || '\", \"step\": {step}, \"capturedSellers\": [], \"version\": {version}, "
        + "\"createdAt\": \"' || now() || '\", \"updatedAt\": \"' || now() || '\", \"leaseExpiresAt\": \"' || now() || '\", \"recoveryAttempts\": 0}')::jsonb";

    /// <summary>The placed event's body, the shape <c>OrderEventPayload</c> has.</summary>
    private static string Placed(string id, string sku) =>
        $"('{{\"orderId\": \"' || {id} || '\", \"version\": 1, \"eventId\": \"' || gen_random_uuid() || '\", \"type\": \"ordering.order.placed\", "
        + "\"commandId\": \"checkout-place\", \"actor\": \"checkout\", \"occurredAt\": \"' || now() || '\", \"toState\": \"awaitingPayment\", "
        + $"\"currency\": \"EUR\", \"buyerId\": \"b-' || {id} || '\", \"lines\": [{{\"sku\": \"' || {sku} || '\", \"sellerId\": \"seller-1\", \"quantity\": 1, \"unitPrice\": 2500}}], "
        + "\"shipping\": 0, \"tax\": 0}')::jsonb";

    /// <summary>The paid event's body.</summary>
    private static string Paid(string id) =>
        $"('{{\"orderId\": \"' || {id} || '\", \"version\": 2, \"eventId\": \"' || gen_random_uuid() || '\", \"type\": \"ordering.order.paid\", "
        + "\"commandId\": \"checkout-paid\", \"actor\": \"checkout\", \"occurredAt\": \"' || now() || '\", \"fromState\": \"awaitingPayment\", \"toState\": \"paid\", "
        + $"\"currency\": \"EUR\", \"paymentId\": \"' || {id} || '\"}}')::jsonb";
}
