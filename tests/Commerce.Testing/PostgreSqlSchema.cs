using Npgsql;

namespace Commerce.Testing;

/// <summary>
/// A fresh, uniquely named schema in the test database, dropped on dispose: each store under test gets its own,
/// so test classes run in parallel without seeing each other's rows.
/// </summary>
public sealed class PostgreSqlSchema : IAsyncDisposable
{
    private PostgreSqlSchema(NpgsqlDataSource dataSource, string name)
    {
        DataSource = dataSource;
        Name = name;
    }

    /// <summary>A data source for the test database.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The schema's name.</summary>
    public string Name { get; }

    /// <summary>Creates a data source and a schema name (the schema itself is created by the store's migration).</summary>
    public static PostgreSqlSchema Create(string prefix = "t")
    {
        var connectionString = TestServers.RequirePostgreSql();
        var dataSource = NpgsqlDataSource.Create(connectionString);
        return new PostgreSqlSchema(dataSource, $"{prefix}_{Guid.NewGuid():N}"[..30]);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE");
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            await DataSource.DisposeAsync();
        }
    }
}
