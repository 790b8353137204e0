using Commerce.Events;
using Commerce.Ordering;
using Commerce.PostgreSql.Ordering;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.PostgreSql.Tests.Ordering;

public sealed class PostgreSqlOrderingSpecificTests
{
    [Fact]
    public async Task The_migration_is_idempotent_and_every_primary_key_starts_with_the_order_id()
    {
        await using var schema = PostgreSqlSchema.Create("ordm");
        var store = new PostgreSqlOrderStore(schema.DataSource, new PostgreSqlOrderingOptions { Schema = schema.Name });

        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => store.MigrateAsync()));
        await store.MigrateAsync();

        await using var command = schema.DataSource.CreateCommand("""
            SELECT c.relname, a.attname
              FROM pg_index i
              JOIN pg_class c ON c.oid = i.indrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
             WHERE i.indisprimary AND n.nspname = $1
             ORDER BY c.relname
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = schema.Name });
        var keys = new List<(string Table, string FirstColumn)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.Equal(["ordering_events", "ordering_fulfilments", "ordering_orders", "ordering_outbox"], keys.Select(k => k.Table));
        Assert.All(keys, k => Assert.Equal("order_id", k.FirstColumn));

        await using var foreignKeys = schema.DataSource.CreateCommand(
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = $1");
        foreignKeys.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = schema.Name });
        Assert.Equal(0L, (long)(await foreignKeys.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task The_host_migrates_at_start_and_relays_ordering_events_to_the_publisher()
    {
        await using var schema = PostgreSqlSchema.Create("ordh");
        var publisher = new ChannelEventPublisher();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IEventPublisher>(publisher);
        builder.Services.AddCommerceOrdering(o => o.OutboxIdleDelay = TimeSpan.FromMilliseconds(20))
            .UsePostgreSql(_ => schema.DataSource, o => o.Schema = schema.Name);
        using var host = builder.Build();
        await host.StartAsync();
        var orders = host.Services.GetRequiredService<OrderService>();
        var id = new OrderId("o-1");

        await orders.ExecuteAsync(new PlaceOrder(id, new CommandId("c1"), "checkout", new BuyerId("b"),
            [new OrderLine(new Sku("s"), new SellerId("x"), 2, new Money(150, Currency.EUR))]));
        await orders.ExecuteAsync(new MarkPaid(id, new CommandId("c2"), "checkout"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = await publisher.Reader.ReadAsync(timeout.Token);
        var second = await publisher.Reader.ReadAsync(timeout.Token);
        Assert.Equal([OrderEventTypes.Placed, OrderEventTypes.Paid], [first.EventType, second.EventType]);
        Assert.Equal((await orders.ReadHistoryAsync(id)).Select(e => e.EventId), [first.EventId, second.EventId]);
        await host.StopAsync();
    }
}
