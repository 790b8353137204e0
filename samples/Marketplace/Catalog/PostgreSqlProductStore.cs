using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Commerce;
using Marketplace.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Marketplace.Catalog;

/// <summary>
/// The catalog in PostgreSQL (table <c>marketplace_products</c>, see <see cref="Storage.MarketplaceSchema"/>). Full-text
/// search is <c>websearch_to_tsquery</c> over a stored tsvector under a GIN index, ranked by <c>ts_rank</c>; the total
/// comes from the same statement (a window count), so a page is one round trip. Every value is a parameter.
/// </summary>
public sealed class PostgreSqlProductStore(NpgsqlDataSource dataSource, IOptions<MarketplaceOptions> options) : IProductStore
{
    private const string Columns = "sku, seller_id, title, description, price_minor, currency, category, attributes::text, updated_at";
    private readonly string _table = options.Value.Schema + ".marketplace_products";

    /// <inheritdoc />
    public async ValueTask<bool> TryAddAsync(Product product, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(product);
        await using var command = dataSource.CreateCommand(
            $"INSERT INTO {_table} (sku, seller_id, title, description, price_minor, currency, category, attributes, updated_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) ON CONFLICT (sku) DO NOTHING");
        AddProduct(command, product);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async ValueTask<Product?> GetAsync(Sku sku, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM {_table} WHERE sku = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sku.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<Sku, Product>> GetManyAsync(IReadOnlyCollection<Sku> skus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(skus);
        var found = new Dictionary<Sku, Product>(skus.Count);
        if (skus.Count == 0)
        {
            return found;
        }

        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM {_table} WHERE sku = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = skus.Select(static s => s.Value).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var product = Read(reader);
            found[product.Sku] = product;
        }

        return found;
    }

    /// <inheritdoc />
    public async ValueTask<bool> UpdateAsync(Product product, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(product);

        // The seller is part of the condition: ownership is checked in the same statement that writes.
        await using var command = dataSource.CreateCommand(
            $"UPDATE {_table} SET title = $3, description = $4, price_minor = $5, currency = $6, category = $7, attributes = $8::jsonb, updated_at = $9 " +
            "WHERE sku = $1 AND seller_id = $2");
        AddProduct(command, product);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async ValueTask<ProductMatches> SearchAsync(ProductQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder($"SELECT {Columns}, count(*) OVER () FROM {_table}");
        var text = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text;
        var where = new List<string>();
        if (text is not null)
        {
            // Each word also matches as a prefix ("mu" finds "mug"), like the in-memory index; the words are
            // reduced to letters and digits first, so nothing in them is tsquery syntax.
            where.Add("search @@ (websearch_to_tsquery('english', $1) || to_tsquery('simple', $2))");
        }

        if (query.Category is not null)
        {
            where.Add("category = $3");
        }

        if (query.MinPriceMinor is not null)
        {
            where.Add("price_minor >= $4");
        }

        if (query.MaxPriceMinor is not null)
        {
            where.Add("price_minor <= $5");
        }

        if (query.Seller is not null)
        {
            where.Add("seller_id = $6");
        }

        if (where.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", where);
        }

        sql.Append(text is null
            ? " ORDER BY lower(title), sku"
            : " ORDER BY ts_rank(search, websearch_to_tsquery('english', $1) || to_tsquery('simple', $2)) DESC, sku");
        sql.Append(" OFFSET $7 LIMIT $8");

        await using var command = dataSource.CreateCommand(sql.ToString());
        var words = SearchText.Words(text).Distinct().ToList();
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = text ?? string.Empty });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = words.Count == 0 ? string.Empty : string.Join(" & ", words.Select(static w => w + ":*")) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.Category ?? string.Empty });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = query.MinPriceMinor ?? 0 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = query.MaxPriceMinor ?? 0 });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.Seller?.Value ?? string.Empty });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.Offset });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.Limit });

        var items = new List<Product>(query.Limit);
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(Read(reader));
                total = checked((int)reader.GetInt64(9));
            }
        }

        if (items.Count == 0 && query.Offset > 0)
        {
            // Past the last page the window count has no row to ride on: count separately, only then.
            total = (await SearchAsync(query with { Offset = 0, Limit = 1 }, cancellationToken)).Total;
        }

        return new ProductMatches(items, total);
    }

    private static void AddProduct(NpgsqlCommand command, Product product)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = product.Sku.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = product.Seller.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = product.Title });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = product.Description });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = product.Price.MinorUnits });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = product.Price.Currency.Code });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = product.Category });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(product.Attributes), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = product.UpdatedAt });
    }

    private static Product Read(NpgsqlDataReader reader)
    {
        var attributes = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(7)) ?? [];
        return new Product(
            new Sku(reader.GetString(0)),
            new SellerId(reader.GetString(1)),
            reader.GetString(2),
            reader.GetString(3),
            Money.FromMinorUnits(reader.GetInt64(4), reader.GetString(5)),
            reader.GetString(6),
            attributes.ToFrozenDictionary(StringComparer.Ordinal),
            reader.GetFieldValue<DateTimeOffset>(8));
    }
}
