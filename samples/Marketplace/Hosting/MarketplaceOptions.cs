using System.Text.RegularExpressions;

namespace Marketplace.Hosting;

/// <summary>Where the marketplace keeps its state.</summary>
public enum StorageKind
{
    /// <summary>Everything in process memory: the embedded default, nothing to install.</summary>
    InMemory,

    /// <summary>PostgreSQL for inventory, orders, payments, the catalog and carts.</summary>
    Postgres,
}

/// <summary>
/// The host's settings, bound from the <c>Marketplace</c> section (appsettings.json, <c>Marketplace__*</c> environment
/// variables) and from the short command-line switches (<see cref="SwitchMappings"/>). <see cref="Validate"/> runs
/// before anything starts, so a wrong setting stops the host with a message naming it.
/// </summary>
public sealed partial class MarketplaceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Marketplace";

    /// <summary>The short command-line switches and the settings they set.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--storage"] = "Marketplace:Storage",
        ["--postgres"] = "Marketplace:PostgreSql",
        ["--schema"] = "Marketplace:Schema",
        ["--redis"] = "Marketplace:Redis",
        ["--dev-tokens"] = "Marketplace:DevTokens",
        ["--seed"] = "Marketplace:Seed",
    };

    /// <summary><c>memory</c> (the default) or <c>postgres</c>.</summary>
    public string Storage { get; set; } = "memory";

    /// <summary>The PostgreSQL connection string; required with <c>--storage postgres</c>.</summary>
    public string? PostgreSql { get; set; }

    /// <summary>The PostgreSQL schema every store uses.</summary>
    public string Schema { get; set; } = "commerce";

    /// <summary>A StackExchange.Redis configuration string (<c>host:port</c>), or empty for none.</summary>
    public string? Redis { get; set; }

    /// <summary>Whether <c>POST /api/dev/tokens</c> issues tokens to anyone who asks (on by default: this is a sample).</summary>
    public bool DevTokens { get; set; } = true;

    /// <summary>How long an issued token is valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Whether the demo catalog is seeded at start-up.</summary>
    public bool Seed { get; set; } = true;

    /// <summary>How many demo products the seed lists (besides the flash-sale SKU).</summary>
    public int SeedProducts { get; set; } = 300;

    /// <summary>The units of the seeded flash-sale SKU.</summary>
    public int FlashSaleUnits { get; set; } = 100;

    /// <summary>The largest request body accepted, in bytes.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long a product read stays in the read cache at most (changes through this host invalidate it at once).</summary>
    public TimeSpan ProductCacheLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The signing secret of the PSP webhook endpoint (Stripe format: <c>Stripe-Signature: t=...,v1=...</c>).</summary>
    public string WebhookSecret { get; set; } = "whsec_marketplace_demo";

    /// <summary>How many notifications each user's feed keeps.</summary>
    public int NotificationFeedSize { get; set; } = 200;

    /// <summary>The parsed <see cref="Storage"/>; valid after <see cref="Validate"/> passed.</summary>
    public StorageKind StorageKind => Storage.Trim().ToLowerInvariant() is "postgres" or "postgresql" ? StorageKind.Postgres : StorageKind.InMemory;

    /// <summary>Every problem with the settings, each naming the setting and how to fix it; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var storage = Storage?.Trim().ToLowerInvariant();
        if (storage is not ("memory" or "in-memory" or "inmemory" or "postgres" or "postgresql"))
        {
            errors.Add($"Marketplace:Storage (--storage) is '{Storage}': use 'memory' (the default) or 'postgres'.");
        }
        else if (StorageKind == StorageKind.Postgres && string.IsNullOrWhiteSpace(PostgreSql))
        {
            errors.Add("--storage postgres needs a connection string: --postgres \"Host=127.0.0.1;Port=5432;Username=postgres;Database=commerce\" (or Marketplace__PostgreSql).");
        }

        if (!string.IsNullOrWhiteSpace(PostgreSql))
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(PostgreSql);
            }
            catch (ArgumentException exception)
            {
                // The message names the bad keyword; the connection string itself may hold a password, so it is not echoed.
                errors.Add($"Marketplace:PostgreSql (--postgres) is not a valid connection string: {exception.Message}");
            }

            if (StorageKind != StorageKind.Postgres && storage is not null && errors.Count == 0)
            {
                errors.Add("--postgres was given without --storage postgres: add --storage postgres, or leave --postgres out for the in-memory default.");
            }
        }

        if (Schema is null || !SchemaPattern().IsMatch(Schema))
        {
            errors.Add($"Marketplace:Schema (--schema) is '{Schema}': use 1 to 63 lower-case letters, digits and '_', starting with a letter or '_'.");
        }

        if (Redis is { Length: > 0 } redis && string.IsNullOrWhiteSpace(redis))
        {
            errors.Add("Marketplace:Redis (--redis) is blank: give a configuration such as 127.0.0.1:6379, or leave it out.");
        }

        if (TokenLifetime <= TimeSpan.Zero || TokenLifetime > TimeSpan.FromDays(30))
        {
            errors.Add($"Marketplace:TokenLifetime is {TokenLifetime}: use a duration above zero and at most 30 days.");
        }

        if (SeedProducts is < 0 or > 100_000)
        {
            errors.Add($"Marketplace:SeedProducts is {SeedProducts}: use 0 to 100000.");
        }

        if (FlashSaleUnits is < 0 or > 10_000_000)
        {
            errors.Add($"Marketplace:FlashSaleUnits is {FlashSaleUnits}: use 0 to 10000000.");
        }

        if (MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add($"Marketplace:MaxRequestBodyBytes is {MaxRequestBodyBytes}: use 1024 to 16777216.");
        }

        if (ProductCacheLifetime < TimeSpan.Zero || ProductCacheLifetime > TimeSpan.FromHours(1))
        {
            errors.Add($"Marketplace:ProductCacheLifetime is {ProductCacheLifetime}: use 0 (no cache) to 1 hour.");
        }

        if (string.IsNullOrWhiteSpace(WebhookSecret) || WebhookSecret.Length < 16)
        {
            errors.Add("Marketplace:WebhookSecret needs at least 16 characters.");
        }

        if (NotificationFeedSize is < 1 or > 10_000)
        {
            errors.Add($"Marketplace:NotificationFeedSize is {NotificationFeedSize}: use 1 to 10000.");
        }

        return errors;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaPattern();
}
