using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Commerce.LoadTests;

/// <summary>
/// The raw limit of the engine: pgbench, on the same server and tables, running what one reservation writes as
/// plain SQL, one reservation per transaction: the conditional stock UPDATE, the reservation row, the ledger
/// movement and the outbox event, each a prepared statement (<c>-M prepared</c>), committed durably.
/// </summary>
internal static partial class PgBench
{
    public static string Script(LoadOptions options, string scenario, string idPrefix)
    {
        var s = options.Schema;
        var sku = scenario == "hot" ? $"'{BenchDatabase.HotSku}'" : "('sku-' || :sku::text)";
        var id = $"('{idPrefix}-' || :client_id::text || '-' || :n::text)";
        var pick = scenario == "hot" ? string.Empty : $"\\set sku random(1, {options.Skus})\n";
        return $"""
            \set n :n + 1
            {pick}BEGIN;
            UPDATE {s}.inventory_stock SET reserved = reserved + 1
             WHERE sku = {sku} AND location = '{BenchDatabase.Location}' AND on_hand - reserved + backorder_limit >= 1;
            INSERT INTO {s}.inventory_reservations (id, fingerprint, state, skus, locations, quantities, created_at, expires_at)
            VALUES ({id}, '6f1d2c3b-0a4e-4f5d-9c8b-7a6e5d4c3b2a', 0, ARRAY[{sku}], ARRAY['{BenchDatabase.Location}'], ARRAY[1::bigint],
                    now(), now() + interval '15 minutes');
            INSERT INTO {s}.inventory_movements (sku, location, kind, on_hand_delta, reserved_delta, reason, reference, occurred_at)
            VALUES ({sku}, '{BenchDatabase.Location}', 3, 0, 1, 'reserved', {id}, now());
            INSERT INTO {s}.inventory_outbox (event_type, stream_id, occurred_at, payload)
            VALUES ('inventory.reservation.reserved', {id}, now(),
                    jsonb_build_object('reservationId', {id}, 'state', 'active', 'expiresAt', now() + interval '15 minutes',
                        'lines', jsonb_build_array(jsonb_build_object('sku', {sku}, 'location', '{BenchDatabase.Location}', 'quantity', 1))));
            END;

            """;
    }

    /// <summary>Runs pgbench for the warm-up (unmeasured) and then the measured duration.</summary>
    public static Task<RunResult> RunAsync(LoadOptions options, string scenario, int clients, string runTag) =>
        RunScriptAsync(
            new PgBenchRun(options.ConnectionString, options.PgBench!, options.PgBenchThreads, options.Warmup, options.Duration),
            idPrefix => Script(options, scenario, idPrefix), clients, runTag);

    /// <summary>Runs a script for the warm-up (unmeasured) and then the measured duration; the script is made for an id prefix, new per run.</summary>
    public static async Task<RunResult> RunScriptAsync(PgBenchRun run, Func<string, string> script, int clients, string runTag)
    {
        var folder = Directory.CreateTempSubdirectory("commerce-pgbench-");
        try
        {
            if (run.Warmup > TimeSpan.Zero)
            {
                await RunOnceAsync(run, script, clients, $"{runTag}w", folder.FullName, run.Warmup, log: false);
            }

            return await RunOnceAsync(run, script, clients, $"{runTag}m", folder.FullName, run.Duration, log: true);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<RunResult> RunOnceAsync(PgBenchRun options, Func<string, string> makeScript, int clients, string idPrefix, string folder, TimeSpan duration, bool log)
    {
        var script = Path.Combine(folder, $"{idPrefix}.sql");
        await File.WriteAllTextAsync(script, makeScript(idPrefix));
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        var seconds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
        var start = new ProcessStartInfo(options.PgBench!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username ?? "postgres",
            "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(options.PgBenchThreads, clients).ToString(CultureInfo.InvariantCulture),
            "-T", seconds.ToString(CultureInfo.InvariantCulture), "-M", "prepared", "-n", "-D", "n=0", "-f", script,
        })
        {
            start.ArgumentList.Add(argument);
        }

        var logPrefix = Path.Combine(folder, idPrefix);
        if (log)
        {
            start.ArgumentList.Add("-l");
            start.ArgumentList.Add($"--log-prefix={logPrefix}");
        }

        start.ArgumentList.Add(connection.Database ?? "postgres");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {options.PgBench}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(duration + TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("pgbench did not finish in time.");
        }

        var output = await stdout + "\n" + await stderr;
        var tps = TpsLine().Match(output);
        if (!log && process.ExitCode == 0)
        {
            // A warm-up too short for every client to connect and run a transaction is still a warm-up.
            return new RunResult(0, 0, 0, 0, 0, 0, 0, null);
        }

        if (process.ExitCode != 0 || !tps.Success)
        {
            throw new InvalidOperationException($"pgbench failed (exit {process.ExitCode}):\n{output}");
        }

        var latencies = new List<long>();
        foreach (var file in Directory.EnumerateFiles(folder, Path.GetFileName(logPrefix) + ".*"))
        {
            foreach (var line in File.ReadLines(file))
            {
                // client_id transaction_no time(us) script_no time_epoch time_us
                var fields = line.Split(' ');
                if (fields.Length >= 3 && long.TryParse(fields[2], CultureInfo.InvariantCulture, out var micros))
                {
                    latencies.Add(micros);
                }
            }
        }

        var failed = FailedLine().Match(output);
        var result = RunResult.FromTicks([.. latencies], 1_000_000, duration, soldOut: 0,
            errors: failed.Success ? long.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture) : 0, firstError: null);
        return result with { PerSecond = double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture) };
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex FailedLine();
}

/// <summary>Where and how long pgbench runs.</summary>
internal sealed record PgBenchRun(string ConnectionString, string PgBench, int PgBenchThreads, TimeSpan Warmup, TimeSpan Duration);
