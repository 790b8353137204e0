using System.Globalization;

namespace Commerce.LoadTests;

/// <summary>The load run's settings, from <c>--name value</c> arguments; lists are comma-separated and multiply out.</summary>
internal sealed class LoadOptions
{
    public const string Usage = """
        Commerce.LoadTests: reservations/s and latency of InventoryService + PostgreSqlInventoryStore, beside pgbench
        running the same writes as raw SQL, one reservation per transaction, against the same server.

          --connection <npgsql>        connection string (default: $COMMERCE_TEST_POSTGRES)
          --scenarios uniform,hot      uniform over --skus SKUs, and/or one hot SKU (default: both)
          --duration <s>               measured seconds per run (default 20)
          --warmup <s>                 unmeasured seconds before each run (default 3)
          --clients 64[,256]           concurrent callers (engine) and connections (pgbench) (default 64)
          --batch-size 256[,..]        PostgreSqlInventoryOptions.MaxBatchSize values to try (default 256)
          --concurrent-batches 8[,..]  PostgreSqlInventoryOptions.MaxConcurrentBatches values to try (default 8)
          --skus <n>                   SKUs in the uniform scenario (default 100000)
          --stock <n>                  units on hand per uniform SKU (default 1000000)
          --hot-stock <n>              units on hand of the hot SKU (default 100000000)
          --schema <name>              schema to (re)create; it is dropped first (default bench)
          --pgbench <path>|off         pgbench executable, or off (default: $PG_BIN/pgbench, else pgbench on PATH)
          --pgbench-threads <n>        pgbench -j (default 2)
          --engine on|off              run the engine (default on; off runs pgbench alone)
          --print-script uniform|hot   print the pgbench script for a scenario and exit
          --output <file>              also write the result table (markdown) there
        """;

    public string ConnectionString { get; private set; } = Environment.GetEnvironmentVariable("COMMERCE_TEST_POSTGRES") ?? string.Empty;

    public IReadOnlyList<string> Scenarios { get; private set; } = ["uniform", "hot"];

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(20);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);

    public IReadOnlyList<int> Clients { get; private set; } = [64];

    public IReadOnlyList<int> BatchSizes { get; private set; } = [256];

    public IReadOnlyList<int> ConcurrentBatches { get; private set; } = [8];

    public int Skus { get; private set; } = 100_000;

    public long Stock { get; private set; } = 1_000_000;

    public long HotStock { get; private set; } = 100_000_000;

    public string Schema { get; private set; } = "bench";

    public string? PgBench { get; private set; } = DefaultPgBench();

    public int PgBenchThreads { get; private set; } = 2;

    public string? Output { get; private set; }

    public bool Engine { get; private set; } = true;

    public string? PrintScript { get; private set; }

    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
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
                case "--duration": options.Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--warmup": options.Warmup = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--clients": options.Clients = List(value, Positive); break;
                case "--batch-size": options.BatchSizes = List(value, Positive); break;
                case "--concurrent-batches": options.ConcurrentBatches = List(value, Positive); break;
                case "--skus": options.Skus = Positive(value); break;
                case "--stock": options.Stock = long.Parse(value, CultureInfo.InvariantCulture); break;
                case "--hot-stock": options.HotStock = long.Parse(value, CultureInfo.InvariantCulture); break;
                case "--schema": options.Schema = value; break;
                case "--pgbench": options.PgBench = value == "off" ? null : value; break;
                case "--pgbench-threads": options.PgBenchThreads = Positive(value); break;
                case "--output": options.Output = value; break;
                case "--engine": options.Engine = value != "off"; break;
                case "--print-script": options.PrintScript = value; break;
                default: throw new ArgumentException($"Unknown option {name}.\n{Usage}");
            }
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.PrintScript is null)
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

    private static T[] List<T>(string value, Func<string, T> parse) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse)];
}
