using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.PostgreSql;

/// <summary>Settings of the PostgreSQL inventory store.</summary>
public sealed class PostgreSqlInventoryOptions
{
    /// <summary>The schema holding the inventory tables and functions. Default <c>commerce</c>.</summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string Schema { get; set; } = "commerce";

    /// <summary>Whether changes write events to the outbox table for a relay to publish. Default true.</summary>
    public bool RecordEvents { get; set; } = true;

    /// <summary>
    /// The most reservation requests coalesced into one database call. Requests that arrive while a call is in
    /// flight wait for the next one, so a hot SKU sees one row update per batch instead of one per buyer. Default 256.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>How many reservation batches may be in flight at once (each on its own connection). Default 8.</summary>
    [Range(1, 1_000)]
    public int MaxConcurrentBatches { get; set; } = 8;

    /// <summary>
    /// How long finished reservations, stock-change idempotency keys and published events are kept (so that replays
    /// still return the first outcome) before the sweeper deletes them. The movement ledger is kept forever. Default 24 hours.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Whether the DI registration applies the schema at start-up. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

/// <summary>Validates <see cref="PostgreSqlInventoryOptions"/> without reflection.</summary>
[OptionsValidator]
internal sealed partial class PostgreSqlInventoryOptionsValidator : IValidateOptions<PostgreSqlInventoryOptions>;
