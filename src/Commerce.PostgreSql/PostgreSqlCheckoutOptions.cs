using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.PostgreSql;

/// <summary>Settings of the PostgreSQL checkout saga store.</summary>
public sealed class PostgreSqlCheckoutOptions
{
    /// <summary>
    /// The schema holding the saga table and the checkout functions. It must be the schema of the PostgreSQL inventory
    /// and ordering stores too: the checkout functions call theirs. Default <c>commerce</c>.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string Schema { get; set; } = "commerce";

    /// <summary>Whether the inventory and ordering steps write their events to the outbox tables (as those stores do). Default true.</summary>
    public bool RecordEvents { get; set; } = true;

    /// <summary>
    /// The most checkouts begun in one database call. Begins that arrive while a call is in flight wait for the next
    /// one, so a flash sale's hot SKU sees one stock row update and one commit per batch. Default 256.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// How many begin batches may be in flight at once (each on its own connection). About the database's core count;
    /// batches in flight never share a stock row. Default 4.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxConcurrentBatches { get; set; } = 4;

    /// <summary>Whether the DI registration applies the schema (inventory, ordering and checkout) at start-up. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

/// <summary>Validates <see cref="PostgreSqlCheckoutOptions"/> without reflection.</summary>
[OptionsValidator]
internal sealed partial class PostgreSqlCheckoutOptionsValidator : IValidateOptions<PostgreSqlCheckoutOptions>;
