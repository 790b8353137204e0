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

    /// <summary>Whether the DI registration applies the schema at start-up. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

/// <summary>Validates <see cref="PostgreSqlPaymentsOptions"/> without reflection.</summary>
[OptionsValidator]
internal sealed partial class PostgreSqlPaymentsOptionsValidator : IValidateOptions<PostgreSqlPaymentsOptions>;
