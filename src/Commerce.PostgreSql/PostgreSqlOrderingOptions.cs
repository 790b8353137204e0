using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.PostgreSql;

/// <summary>Settings of the PostgreSQL order store.</summary>
public sealed class PostgreSqlOrderingOptions
{
    /// <summary>The schema holding the ordering tables and functions. Default <c>commerce</c>.</summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string Schema { get; set; } = "commerce";

    /// <summary>Whether changes write their events to the outbox table for the relay to publish. Default true.</summary>
    public bool RecordEvents { get; set; } = true;

    /// <summary>Whether the DI registration applies the schema at start-up. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

/// <summary>Validates <see cref="PostgreSqlOrderingOptions"/> without reflection.</summary>
[OptionsValidator]
internal sealed partial class PostgreSqlOrderingOptionsValidator : IValidateOptions<PostgreSqlOrderingOptions>;
