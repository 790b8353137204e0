using System.Globalization;

namespace Commerce.LoadTests.Checkout;

/// <summary>The checkout load run's settings, from <c>checkout-postgres --name value</c> arguments; lists are comma-separated and multiply out.</summary>
internal sealed class CheckoutLoadOptions
{
    public const string Usage = """
        Commerce.LoadTests checkout-postgres: checkouts/s and latency of CheckoutService with every store on PostgreSQL
        (inventory, ordering, payments, the checkout saga; simulated PSP), beside pgbench making the same database calls
        against the same server: per checkout checkout_begin, the three payment calls of the authorization (key claim
        and payment read in one), checkout_step (commit + paid), the three of the capture, checkout_step (completed).

          --connection <npgsql>        connection string (default: $COMMERCE_TEST_POSTGRES)
          --scenarios uniform,hot      uniform over --skus SKUs, and/or one hot SKU (default: both)
          --psp-latency 0[,50]         simulated PSP latency per call, ms (default 0)
          --duration <s>               measured seconds per run (default 20)
          --warmup <s>                 unmeasured seconds before each run (default 3)
          --clients 64[,..]            concurrent callers (engine) and connections (pgbench) (default 64)
          --max-auto-prepare <n>       engine: Npgsql Max Auto Prepare (default 32; 0 leaves the connection string's)
          --concurrent-batches <n>     engine: MaxConcurrentBatches of the checkout and payment stores (default 2)
          --skus <n>                   SKUs in the uniform scenario (default 100000)
          --schema <name>              schema to (re)create; it is dropped first (default bench_checkout)
          --pgbench <path>|off         pgbench executable, or off (default: $PG_BIN/pgbench, else pgbench on PATH)
          --pgbench-threads <n>        pgbench -j (default 2)
          --pgbench-batch <k>          pgbench: k checkouts per call, as the stores coalesce them (default 1)
          --engine on|off              run the engine (default on)
          --print-script uniform|hot   print the pgbench script and exit
          --output <file>              also write the result table (markdown) there
        """;

    public string ConnectionString { get; private set; } = Environment.GetEnvironmentVariable("COMMERCE_TEST_POSTGRES") ?? string.Empty;

    public IReadOnlyList<string> Scenarios { get; private set; } = ["uniform", "hot"];

    public IReadOnlyList<int> PspLatencies { get; private set; } = [0];

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(20);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);

    public IReadOnlyList<int> Clients { get; private set; } = [64];

    public int MaxAutoPrepare { get; private set; } = 32;

    public int ConcurrentBatches { get; private set; } = 2;

    public int Skus { get; private set; } = 100_000;

    public string Schema { get; private set; } = "bench_checkout";

    public string? PgBench { get; private set; } = DefaultPgBench();

    public int PgBenchThreads { get; private set; } = 2;

    public int PgBenchBatch { get; private set; } = 1;

    public bool Engine { get; private set; } = true;

    public string? PrintScript { get; private set; }

    public string? Output { get; private set; }

    public static CheckoutLoadOptions Parse(string[] args)
    {
        var options = new CheckoutLoadOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                throw new ArgumentException(Usage);
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value.\n{Usage}");
            }

            var value = args[++i];
            switch (name)
            {
                case "--connection": options.ConnectionString = value; break;
                case "--scenarios": options.Scenarios = List(value, s => s is "uniform" or "hot" ? s : throw new ArgumentException($"Unknown scenario '{s}'.")); break;
                case "--psp-latency": options.PspLatencies = List(value, v => int.Parse(v, CultureInfo.InvariantCulture)); break;
                case "--duration": options.Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--warmup": options.Warmup = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--clients": options.Clients = List(value, Positive); break;
                case "--max-auto-prepare": options.MaxAutoPrepare = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrent-batches": options.ConcurrentBatches = Positive(value); break;
                case "--skus": options.Skus = Positive(value); break;
                case "--schema": options.Schema = value; break;
                case "--pgbench": options.PgBench = value == "off" ? null : value; break;
                case "--pgbench-threads": options.PgBenchThreads = Positive(value); break;
                case "--pgbench-batch": options.PgBenchBatch = Positive(value); break;
                case "--engine": options.Engine = value != "off"; break;
                case "--print-script": options.PrintScript = value; break;
                case "--output": options.Output = value; break;
                default: throw new ArgumentException($"Unknown option {name}.\n{Usage}");
            }
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.PrintScript is null)
        {
            throw new ArgumentException($"No connection string: pass --connection or set COMMERCE_TEST_POSTGRES (benchmarks/run.sh does).\n{Usage}");
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

    private static T[] List<T>(string value, Func<string, T> parse) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse)];
}
