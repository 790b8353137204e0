using System.Globalization;

namespace Commerce.LoadTests.Payments;

/// <summary>The payments load run's settings, from <c>payments --name value</c> arguments; lists are comma-separated.</summary>
internal sealed class PaymentsLoadOptions
{
    public const string Usage = """
        Commerce.LoadTests payments: authorize+capture pairs/s and latency of PaymentService + PostgreSqlPaymentStore
        (simulated PSP, zero latency), beside pgbench making the same database calls against the same server.

          --connection <npgsql>        connection string (default: $COMMERCE_TEST_POSTGRES)
          --duration <s>               measured seconds per run (default 20)
          --warmup <s>                 unmeasured seconds before each run (default 3)
          --clients 64[,..]            concurrent callers (engine) and connections (pgbench) (default 64)
          --max-auto-prepare 0[,32]    engine: Npgsql's Max Auto Prepare values to try (0 leaves the connection string's; default 0)
          --schema <name>              schema to (re)create; it is dropped first (default bench_payments)
          --pgbench <path>|off         pgbench executable, or off (default: $PG_BIN/pgbench, else pgbench on PATH)
          --pgbench-threads <n>        pgbench -j (default 2)
          --pgbench-batch <k>          pgbench: k payments per call, as the store coalesces them (default 1)
          --engine on|off              run the engine (default on)
          --print-script               print the pgbench script and exit
          --output <file>              also write the result table (markdown) there
        """;

    public string ConnectionString { get; private set; } = Environment.GetEnvironmentVariable("COMMERCE_TEST_POSTGRES") ?? string.Empty;

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(20);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);

    public IReadOnlyList<int> Clients { get; private set; } = [64];

    public IReadOnlyList<int> MaxAutoPrepare { get; private set; } = [0];

    public string Schema { get; private set; } = "bench_payments";

    public string? PgBench { get; private set; } = DefaultPgBench();

    public int PgBenchThreads { get; private set; } = 2;

    public int PgBenchBatch { get; private set; } = 1;

    public bool Engine { get; private set; } = true;

    public bool PrintScript { get; private set; }

    public string? Output { get; private set; }

    public static PaymentsLoadOptions Parse(string[] args)
    {
        var options = new PaymentsLoadOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                throw new ArgumentException(Usage);
            }

            if (name == "--print-script")
            {
                options.PrintScript = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value.\n{Usage}");
            }

            var value = args[++i];
            switch (name)
            {
                case "--connection": options.ConnectionString = value; break;
                case "--duration": options.Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--warmup": options.Warmup = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--clients": options.Clients = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Positive)]; break;
                case "--max-auto-prepare": options.MaxAutoPrepare = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture))]; break;
                case "--schema": options.Schema = value; break;
                case "--pgbench": options.PgBench = value == "off" ? null : value; break;
                case "--pgbench-threads": options.PgBenchThreads = Positive(value); break;
                case "--pgbench-batch": options.PgBenchBatch = Positive(value); break;
                case "--engine": options.Engine = value != "off"; break;
                case "--output": options.Output = value; break;
                default: throw new ArgumentException($"Unknown option {name}.\n{Usage}");
            }
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString) && !options.PrintScript)
        {
            throw new ArgumentException($"No connection string: pass --connection or set COMMERCE_TEST_POSTGRES (benchmarks/run.sh does).\n{Usage}");
        }

        if (options.Duration <= TimeSpan.Zero || options.Duration > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException("--duration must be above 0 and at most 600 seconds.");
        }

        return options;
    }

    private static string DefaultPgBench()
    {
        var bin = Environment.GetEnvironmentVariable("PG_BIN");
        return !string.IsNullOrEmpty(bin) && File.Exists(Path.Combine(bin, "pgbench")) ? Path.Combine(bin, "pgbench") : "pgbench";
    }

    private static int Positive(string value)
    {
        var n = int.Parse(value, CultureInfo.InvariantCulture);
        return n > 0 ? n : throw new ArgumentException($"'{value}' must be a positive number.");
    }
}
