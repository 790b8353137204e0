using System.Text.RegularExpressions;
using Npgsql;

namespace Commerce.PostgreSql.Schema;

/// <summary>
/// Applies an embedded, idempotent schema script. The script runs in one transaction under an advisory lock, so
/// several instances starting at once apply it one after another and none sees a half-made schema.
/// </summary>
internal static partial class SchemaMigrator
{
    private const long MigrationLockKey = 0x436f6d6d65726365; // "Commerce"

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string script, string schema, CancellationToken cancellationToken)
    {
        var sql = Render(script, schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = MigrationLockKey });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public static string LoadScript(string name)
    {
        using var stream = typeof(SchemaMigrator).Assembly.GetManifestResourceStream($"Commerce.PostgreSql.Schema.{name}.sql")
            ?? throw new InvalidOperationException($"Schema script '{name}' is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Substitutes the schema name, which is validated first: identifiers cannot be parameters.</summary>
    public static string Render(string sql, string schema)
    {
        if (!SchemaName().IsMatch(schema))
        {
            throw new ArgumentException($"'{schema}' is not a valid schema name: use 1 to 63 lower-case letters, digits and underscores.", nameof(schema));
        }

        return sql.Replace("{schema}", schema, StringComparison.Ordinal);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
