using Marketplace.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marketplace.Storage;

/// <summary>
/// The sample's own tables in postgres mode, beside the engine's: the catalog (with a generated tsvector under a GIN
/// index for full-text search) and the buyers' carts. Created at start-up, idempotently, in one transaction under an
/// advisory lock, so several hosts starting at once apply it one after another.
/// </summary>
public sealed class MarketplaceSchema(NpgsqlDataSource dataSource, IOptions<MarketplaceOptions> options) : IHostedService
{
    private const long MigrationLockKey = 0x4d61726b6574; // "Market"

    // 'simple' for the SKU and category (codes, not prose), 'english' (stemming: "mugs" finds "mug") for the text.
    // to_tsvector with a constant configuration is immutable, so it can feed a stored generated column.
    private const string Script = """
        CREATE SCHEMA IF NOT EXISTS {schema};

        CREATE TABLE IF NOT EXISTS {schema}.marketplace_products (
            sku          text COLLATE "C" NOT NULL PRIMARY KEY,
            seller_id    text COLLATE "C" NOT NULL,
            title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
            description  text NOT NULL CHECK (length(description) <= 2000),
            price_minor  bigint NOT NULL CHECK (price_minor > 0),
            currency     text NOT NULL CHECK (length(currency) = 3),
            category     text COLLATE "C" NOT NULL,
            attributes   jsonb NOT NULL DEFAULT '{}'::jsonb,
            updated_at   timestamptz NOT NULL,
            search       tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('simple'::regconfig, replace(replace(sku, '-', ' '), '_', ' ')), 'A')
                || setweight(to_tsvector('english'::regconfig, title), 'A')
                || setweight(to_tsvector('simple'::regconfig, category), 'B')
                || setweight(to_tsvector('english'::regconfig, description), 'C')
                || setweight(jsonb_to_tsvector('english'::regconfig, attributes, '["string"]'), 'C')) STORED
        );
        CREATE INDEX IF NOT EXISTS marketplace_products_search ON {schema}.marketplace_products USING GIN (search);
        CREATE INDEX IF NOT EXISTS marketplace_products_category_price ON {schema}.marketplace_products (category, price_minor);
        CREATE INDEX IF NOT EXISTS marketplace_products_seller ON {schema}.marketplace_products (seller_id, sku);
        CREATE INDEX IF NOT EXISTS marketplace_products_title ON {schema}.marketplace_products (lower(title), sku);

        CREATE TABLE IF NOT EXISTS {schema}.marketplace_cart_items (
            buyer_id   text COLLATE "C" NOT NULL,
            sku        text COLLATE "C" NOT NULL,
            quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
            added_at   timestamptz NOT NULL,
            PRIMARY KEY (buyer_id, sku)
        );
        """;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The schema name was validated with the options (an identifier cannot be a parameter).
        var sql = Script.Replace("{schema}", options.Value.Schema, StringComparison.Ordinal);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = MigrationLockKey });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
