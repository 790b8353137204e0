using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.PostgreSql;

/// <summary>Settings of the PostgreSQL payment store.</summary>
public sealed class PostgreSqlPaymentsOptions
{
    /// <summary>The schema holding the payment tables and functions. Default <c>commerce</c>.</summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string Schema { get; set; } = "commerce";

    /// <summary>
    /// How long webhook receipts are kept for deduplication before the key reaper deletes them. Providers redeliver a
    /// webhook for days, so keep this longer than any provider's retry window. Default 30 days.
    /// </summary>
    public TimeSpan WebhookRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The most payment writes coalesced into one database call and one commit (group commit). Writes that arrive while
    /// a call is in flight wait for the next one; at low load a write goes alone. Default 256.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// How many write batches may be in flight at once, each on its own connection. About the database's core count;
    /// batches in flight never share a payment or a key. Default 4.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxConcurrentBatches { get; set; } = 4;

    /// <summary>Whether the DI registration applies the schema at start-up. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

/// <summary>Validates <see cref="PostgreSqlPaymentsOptions"/> without reflection.</summary>
[OptionsValidator]
internal sealed partial class PostgreSqlPaymentsOptionsValidator : IValidateOptions<PostgreSqlPaymentsOptions>;
