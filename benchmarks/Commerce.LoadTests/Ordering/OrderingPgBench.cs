using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Commerce.LoadTests.Ordering;

/// <summary>
/// The raw limit for ordering: pgbench on the same server and tables, running what the engine writes for an order's
/// lifecycle as plain SQL: place (order row, fulfilment row, event, outbox message), then pay, ship and deliver, each
/// a transaction of the read the engine does (order, fulfilments, command lookup), the UPDATE of the order
/// conditional on its version, the fulfilment UPDATE, the event and the outbox message. Prepared statements,
/// durable commits. One script run is four transitions (four transactions).
/// </summary>
internal static partial class OrderingPgBench
{
    public static string Script(string schema, string runTag)
    {
        var s = schema;
        var id = $"('{runTag}-' || :client_id::text || '-' || :n::text)";
        string Body(string type, string? from, string to, int version) =>
            $"jsonb_build_object('orderId', {id}, 'version', {version}, 'eventId', gen_random_uuid(), 'type', '{type}', 'commandId', 'c{version}', " +
            $"'actor', 'pgbench', 'occurredAt', now(), {(from is null ? string.Empty : $"'fromState', '{from}', ")}'toState', '{to}', 'currency', 'USD')";
        string Append(string type, string? from, string to, int version) => $"""
            INSERT INTO {s}.ordering_events (order_id, version, event_id, event_type, command_id, fingerprint, occurred_at, body)
            VALUES ({id}, {version}, gen_random_uuid(), '{type}', 'c{version}', '6f1d2c3b-0a4e-4f5d-9c8b-7a6e5d4c3b2a', now(), {Body(type, from, to, version)});
            INSERT INTO {s}.ordering_outbox (order_id, event_id, event_type, stream_id, occurred_at, payload)
            VALUES ({id}, gen_random_uuid(), '{type}', {id}, now(), {Body(type, from, to, version)});
            """;
        string Transition(string type, string from, string to, short state, int version, string fulfilment) => $"""
            BEGIN;
            SELECT o.version, f.states FROM {s}.ordering_orders o
              CROSS JOIN LATERAL (SELECT array_agg(x.state ORDER BY x.seller_id) AS states FROM {s}.ordering_fulfilments x WHERE x.order_id = o.order_id) f
              LEFT JOIN {s}.ordering_events c ON c.order_id = o.order_id AND c.command_id = 'c{version}'
             WHERE o.order_id = {id};
            UPDATE {s}.ordering_orders SET state = {state}, version = {version}, updated_at = now() WHERE order_id = {id} AND version = {version - 1};
            UPDATE {s}.ordering_fulfilments SET order_state = {state}{fulfilment} WHERE order_id = {id};
            {Append(type, from, to, version)}
            END;
            """;
        return new StringBuilder()
            .AppendLine("\\set n :n + 1")
            .AppendLine("BEGIN;")
            .AppendLine(CultureInfo.InvariantCulture, $"""
                INSERT INTO {s}.ordering_orders (order_id, buyer_id, currency, state, version, placed_at, updated_at, shipping, tax, skus, sellers, quantities, unit_prices)
                VALUES ({id}, 'buyer-' || :client_id::text, 'USD', 2, 1, now(), now(), 0, 0, ARRAY['sku-1'], ARRAY['seller-1'], ARRAY[1::bigint], ARRAY[1000::bigint]);
                INSERT INTO {s}.ordering_fulfilments (order_id, seller_id, state, order_state, placed_at) VALUES ({id}, 'seller-1', 1, 2, now());
                """)
            .AppendLine(Append("ordering.order.placed", null, "awaiting_payment", 1))
            .AppendLine("END;")
            .AppendLine(Transition("ordering.order.paid", "awaiting_payment", "paid", 3, 2, string.Empty))
            .AppendLine(Transition("ordering.fulfilment.shipped", "paid", "shipped", 5, 3, ", state = 2, tracking_number = 'TRACK-1', shipped_at = now()"))
            .AppendLine(Transition("ordering.fulfilment.delivered", "shipped", "delivered", 6, 4, ", state = 3, delivered_at = now()"))
            .ToString();
    }

    /// <summary>Runs pgbench for the warm-up (unmeasured) and then the measured duration; figures are per transition.</summary>
    public static async Task<RunFigures> RunAsync(string pgbench, string connectionString, string schema, int clients, TimeSpan duration, TimeSpan warmup)
    {
        var folder = Directory.CreateTempSubdirectory("commerce-pgbench-ordering-");
        try
        {
            if (warmup > TimeSpan.Zero)
            {
                await RunOnceAsync(pgbench, connectionString, schema, clients, "pgw", folder.FullName, warmup, log: false);
            }

            return await RunOnceAsync(pgbench, connectionString, schema, clients, "pgm", folder.FullName, duration, log: true);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<RunFigures> RunOnceAsync(
        string pgbench, string connectionString, string schema, int clients, string runTag, string folder, TimeSpan duration, bool log)
    {
        var script = Path.Combine(folder, $"{runTag}.sql");
        await File.WriteAllTextAsync(script, Script(schema, runTag));
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(pgbench) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username ?? "postgres",
            "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(2, clients).ToString(CultureInfo.InvariantCulture),
            "-T", Math.Max(1, (int)Math.Round(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture), "-M", "prepared", "-n", "-D", "n=0", "-f", script,
        })
        {
            start.ArgumentList.Add(argument);
        }

        var logPrefix = Path.Combine(folder, runTag);
        if (log)
        {
            start.ArgumentList.Add("-l");
            start.ArgumentList.Add($"--log-prefix={logPrefix}");
        }

        start.ArgumentList.Add(connection.Database ?? "postgres");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {pgbench}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout + "\n" + await stderr;
        var tps = TpsLine().Match(output);
        if (!log)
        {
            return new RunFigures(0, 0, 0, 0, 0, null);
        }

        if (process.ExitCode != 0 || !tps.Success)
        {
            throw new InvalidOperationException($"pgbench failed (exit {process.ExitCode}):\n{output}");
        }

        // The log has one line per script run (four transitions); a transition's latency is taken as a quarter of it.
        var latencies = new List<double>();
        foreach (var file in Directory.EnumerateFiles(folder, Path.GetFileName(logPrefix) + ".*"))
        {
            foreach (var line in File.ReadLines(file))
            {
                var fields = line.Split(' ');
                if (fields.Length >= 3 && long.TryParse(fields[2], CultureInfo.InvariantCulture, out var micros))
                {
                    latencies.Add(micros / 4.0 / 1000.0);
                }
            }
        }

        latencies.Sort();
        double Ms(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        var failed = FailedLine().Match(output);
        return new RunFigures(4 * double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture), Ms(0.50), Ms(0.95), Ms(0.99),
            failed.Success ? long.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture) : 0, null);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex FailedLine();
}
