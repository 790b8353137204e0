using Commerce.Inventory;
using Commerce.PostgreSql.Inventory;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.PostgreSql.Tests;

/// <summary>What only the PostgreSQL store promises: migrations, coalescing, and the DI wiring.</summary>
public sealed class PostgreSqlInventorySpecificTests : IAsyncLifetime
{
    private PostgreSqlSchema _schema = null!;

    public ValueTask InitializeAsync()
    {
        _schema = PostgreSqlSchema.Create("invx");
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _schema.DisposeAsync();

    [Fact]
    public async Task Migrating_concurrently_and_repeatedly_is_safe()
    {
        var options = new PostgreSqlInventoryOptions { Schema = _schema.Name };
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgreSqlInventoryStore(_schema.DataSource, options)).ToArray();

        await Task.WhenAll(stores.Select(s => s.MigrateAsync()));
        await stores[0].MigrateAsync();

        var inventory = new InventoryService(stores[0], Options.Create(new InventoryOptions()), TimeProvider.System);
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("s"), 1, "received", new IdempotencyKey("k")));
        Assert.True((await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r"), [new ReservationLine(new Sku("s"), 1)]))).IsSuccess);
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Concurrent_reservations_of_one_hot_sku_are_coalesced_into_few_transactions()
    {
        await using var store = new PostgreSqlInventoryStore(_schema.DataSource, new PostgreSqlInventoryOptions { Schema = _schema.Name, MaxConcurrentBatches = 4 });
        await store.MigrateAsync();
        var inventory = new InventoryService(store, Options.Create(new InventoryOptions()), TimeProvider.System);
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("hot"), 1_000_000, "received", new IdempotencyKey("k")));

        const int Buyers = 2_000;
        var results = await Task.WhenAll(Enumerable.Range(0, Buyers).Select(i =>
            inventory.ReserveAsync(new ReservationRequest(new ReservationId($"b{i}"), [new ReservationLine(new Sku("hot"), 1)])).AsTask()));

        Assert.All(results, r => Assert.True(r.IsSuccess));
        // Every reservation row carries the id of the transaction that wrote it: few distinct ids means few writes.
        await using var command = _schema.DataSource.CreateCommand(
            $"SELECT count(*), count(DISTINCT xmin::text) FROM {_schema.Name}.inventory_reservations");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (rows, transactions) = (reader.GetInt64(0), reader.GetInt64(1));
        Assert.Equal(Buyers, rows);
        Assert.True(transactions <= Buyers / 4, $"{Buyers} reservations took {transactions} transactions; coalescing should need far fewer");
        Assert.Equal(Buyers, (await inventory.GetStockAsync(new Sku("hot")))!.Reserved);
    }

    [Fact]
    public async Task A_database_failure_fails_the_whole_batch_and_writes_nothing()
    {
        await using var store = new PostgreSqlInventoryStore(_schema.DataSource, new PostgreSqlInventoryOptions { Schema = _schema.Name });
        await store.MigrateAsync();
        var inventory = new InventoryService(store, Options.Create(new InventoryOptions()), TimeProvider.System);
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("s"), 10, "received", new IdempotencyKey("k")));
        await using (var drop = _schema.DataSource.CreateCommand($"ALTER TABLE {_schema.Name}.inventory_movements RENAME TO movements_gone"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAnyAsync<PostgresException>(async () =>
            await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r"), [new ReservationLine(new Sku("s"), 1)])));

        Assert.Equal(0, (await inventory.GetStockAsync(new Sku("s")))!.Reserved);
        Assert.Null(await inventory.GetReservationAsync(new ReservationId("r")));
    }

    [Fact]
    public async Task UsePostgreSql_migrates_on_start_and_serves_the_inventory()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCommerceInventory()
            .UsePostgreSql(TestServers.RequirePostgreSql(), o => o.Schema = _schema.Name);
        using var host = builder.Build();

        // The schema must exist before the sweeper's first pass: the migration is the first hosted service.
        Assert.Equal("PostgreSqlInventoryMigration", host.Services.GetServices<IHostedService>().First().GetType().Name);
        await host.StartAsync();
        var inventory = host.Services.GetRequiredService<InventoryService>();
        await inventory.AdjustStockAsync(new StockAdjustment(new Sku("s"), 3, "received", new IdempotencyKey("k")));

        Assert.IsType<PostgreSqlInventoryStore>(host.Services.GetRequiredService<Commerce.Inventory.Storage.IInventoryStore>());
        Assert.Equal(3, (await inventory.GetStockAsync(new Sku("s")))!.OnHand);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_sweeper_reaps_what_outlived_the_retention_window_but_keeps_the_ledger()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        await using var store = new PostgreSqlInventoryStore(_schema.DataSource,
            new PostgreSqlInventoryOptions { Schema = _schema.Name, Retention = TimeSpan.FromHours(1) }, time);
        await store.MigrateAsync();
        var inventory = new InventoryService(store, Options.Create(new InventoryOptions()), time);
        var receive = new StockAdjustment(new Sku("s"), 5, "received", new IdempotencyKey("k"));
        await inventory.AdjustStockAsync(receive);
        await inventory.ReserveAsync(new ReservationRequest(new ReservationId("r"), [new ReservationLine(new Sku("s"), 1)]));
        await inventory.CommitAsync(new ReservationId("r"));
        var published = await store.Outbox.ClaimAsync(100, TimeSpan.FromMinutes(1), CancellationToken.None);
        await store.Outbox.MarkPublishedAsync(published, CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(30));
        await inventory.ExpireDueReservationsAsync();
        Assert.NotNull(await inventory.GetReservationAsync(new ReservationId("r")));
        Assert.True((await inventory.AdjustStockAsync(receive)).IsReplay);

        time.Advance(TimeSpan.FromHours(2));
        await inventory.ExpireDueReservationsAsync();

        Assert.Null(await inventory.GetReservationAsync(new ReservationId("r")));
        Assert.False((await inventory.AdjustStockAsync(receive)).IsReplay);
        Assert.Equal(4, await inventory.ReadMovementsAsync(new Sku("s")).CountAsync()); // received, reserved, committed, received again
        await using var count = _schema.DataSource.CreateCommand($"SELECT count(*) FROM {_schema.Name}.inventory_outbox WHERE published_at IS NOT NULL");
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public void A_bad_schema_name_is_refused_before_any_sql_is_built()
    {
        Assert.Throws<ArgumentException>(() => new PostgreSqlInventoryStore(_schema.DataSource, new PostgreSqlInventoryOptions { Schema = "x; DROP TABLE y" }));
    }
}
