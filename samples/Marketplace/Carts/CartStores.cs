using Commerce;
using Marketplace.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marketplace.Carts;

/// <summary>One line of a buyer's cart: what and how many; prices and availability are looked up when it is read.</summary>
public sealed record CartItem(Sku Sku, int Quantity, DateTimeOffset AddedAt);

/// <summary>Where carts live: process memory (the embedded default) or PostgreSQL (persistent across restarts).</summary>
public interface ICartStore
{
    /// <summary>The buyer's lines, oldest first.</summary>
    ValueTask<IReadOnlyList<CartItem>> GetAsync(BuyerId buyer, CancellationToken cancellationToken);

    /// <summary>Sets a line's quantity (0 removes it); false when it would add a line beyond <paramref name="maxLines"/>.</summary>
    ValueTask<bool> SetAsync(BuyerId buyer, Sku sku, int quantity, int maxLines, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Empties the cart.</summary>
    ValueTask ClearAsync(BuyerId buyer, CancellationToken cancellationToken);
}

/// <summary>Carts in process memory; each buyer's cart is changed under its own lock.</summary>
public sealed class InMemoryCartStore : ICartStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<BuyerId, List<CartItem>> _carts = new();

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CartItem>> GetAsync(BuyerId buyer, CancellationToken cancellationToken)
    {
        if (!_carts.TryGetValue(buyer, out var items))
        {
            return new([]);
        }

        lock (items)
        {
            return new(items.ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> SetAsync(BuyerId buyer, Sku sku, int quantity, int maxLines, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var items = _carts.GetOrAdd(buyer, static _ => []);
        lock (items)
        {
            var index = items.FindIndex(i => i.Sku == sku);
            if (quantity == 0)
            {
                if (index >= 0)
                {
                    items.RemoveAt(index);
                }

                return new(true);
            }

            if (index >= 0)
            {
                items[index] = items[index] with { Quantity = quantity };
                return new(true);
            }

            if (items.Count >= maxLines)
            {
                return new(false);
            }

            items.Add(new CartItem(sku, quantity, now));
            return new(true);
        }
    }

    /// <inheritdoc />
    public ValueTask ClearAsync(BuyerId buyer, CancellationToken cancellationToken)
    {
        if (_carts.TryGetValue(buyer, out var items))
        {
            lock (items)
            {
                items.Clear();
            }
        }

        return default;
    }
}

/// <summary>Carts in PostgreSQL (table <c>marketplace_cart_items</c>): they survive restarts and are shared by every host.</summary>
public sealed class PostgreSqlCartStore(NpgsqlDataSource dataSource, IOptions<MarketplaceOptions> options) : ICartStore
{
    private readonly string _table = options.Value.Schema + ".marketplace_cart_items";

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<CartItem>> GetAsync(BuyerId buyer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT sku, quantity, added_at FROM {_table} WHERE buyer_id = $1 ORDER BY added_at, sku");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = buyer.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<CartItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new CartItem(new Sku(reader.GetString(0)), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return items;
    }

    /// <inheritdoc />
    public async ValueTask<bool> SetAsync(BuyerId buyer, Sku sku, int quantity, int maxLines, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (quantity == 0)
        {
            await using var delete = dataSource.CreateCommand($"DELETE FROM {_table} WHERE buyer_id = $1 AND sku = $2");
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = buyer.Value });
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sku.Value });
            await delete.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }

        // One statement: update an existing line, or insert a new one only while the cart has room. Two concurrent
        // inserts of different SKUs can both see room for the last line; a cart limit off by one is harmless.
        await using var command = dataSource.CreateCommand(
            $"WITH updated AS (UPDATE {_table} SET quantity = $3 WHERE buyer_id = $1 AND sku = $2 RETURNING 1), " +
            $"inserted AS (INSERT INTO {_table} (buyer_id, sku, quantity, added_at) " +
            $"SELECT $1, $2, $3, $5 WHERE NOT EXISTS (SELECT 1 FROM updated) AND (SELECT count(*) FROM {_table} WHERE buyer_id = $1) < $4 " +
            "ON CONFLICT (buyer_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity RETURNING 1) " +
            "SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM inserted)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = buyer.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sku.Value });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = quantity });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = maxLines });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <inheritdoc />
    public async ValueTask ClearAsync(BuyerId buyer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"DELETE FROM {_table} WHERE buyer_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = buyer.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
