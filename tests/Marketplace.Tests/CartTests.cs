using System.Net;
using System.Text.Json;
using Commerce.Inventory;
using Marketplace.Idempotency;
using Marketplace.Reservations;

namespace Marketplace.Tests;

public sealed class CartTests(MarketplaceFactory app)
{
    private readonly HttpClient _seller = app.ClientFor($"seller:{MarketplaceFactory.NewName("shop")}");
    private readonly HttpClient _buyer = app.ClientFor($"buyer:{MarketplaceFactory.NewName("alice")}");
    private readonly HttpClient _otherBuyer = app.ClientFor($"buyer:{MarketplaceFactory.NewName("mallory")}");

    [Fact]
    public async Task A_buyer_reserves_and_buys()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 10, title: "Teapot");

        var reservation = await Scenario.ReserveAsync(_buyer, sku, 3);

        Assert.Equal(ReservationState.Active, reservation.State);
        Assert.True(reservation.ExpiresAt > reservation.CreatedAt);
        var line = Assert.Single(reservation.Lines);
        Assert.Equal((sku, "Teapot", 3L), (line.Sku, line.Title, line.Quantity));
        Assert.Equal(7, await Scenario.AvailableAsync(_buyer, sku));
        Assert.Equal((10L, 3L), ((await Scenario.StockAsync(_seller, sku)).OnHand, (await Scenario.StockAsync(_seller, sku)).Reserved));

        var commit = await _buyer.PostAsync($"/cart/reservations/{reservation.Id}/commit", new { });

        Assert.Equal(HttpStatusCode.OK, commit.StatusCode);
        Assert.Equal(ReservationState.Committed, (await commit.ReadAsync<ReservationView>()).State);
        var stock = await Scenario.StockAsync(_seller, sku);
        Assert.Equal((7L, 0L, 7L), (stock.OnHand, stock.Reserved, stock.Available));
    }

    [Fact]
    public async Task A_buyer_abandons_a_cart_and_the_stock_comes_back()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 4);
        var reservation = await Scenario.ReserveAsync(_buyer, sku, 4);
        Assert.Equal(0, await Scenario.AvailableAsync(_buyer, sku));

        var release = await _buyer.PostAsync($"/cart/reservations/{reservation.Id}/release", new { });

        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        Assert.Equal(ReservationState.Released, (await release.ReadAsync<ReservationView>()).State);
        Assert.Equal(4, await Scenario.AvailableAsync(_buyer, sku));

        var commit = await _buyer.PostAsync($"/cart/reservations/{reservation.Id}/commit", new { });
        var problem = await commit.AssertProblemAsync(409, "inventory.reservation_not_active");
        Assert.Equal("released", problem.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Retrying_with_the_same_idempotency_key_returns_the_same_reservation_and_holds_stock_once()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 10);
        var key = MarketplaceFactory.NewKey();

        var first = await Scenario.ReserveAsync(_buyer, sku, 2, key);
        var retry = await _buyer.PostAsync("/cart/reservations", Scenario.Cart(sku, 2), key);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues(IdempotencyHeader.ReplayedName)));
        Assert.Equal(first, await retry.ReadAsync<ReservationView>(), ReservationViewComparer.Instance);
        Assert.Equal(2, (await Scenario.StockAsync(_seller, sku)).Reserved);
        Assert.Single(await (await _buyer.GetAsync("/cart/reservations")).ReadAsync<List<ReservationView>>());
    }

    [Fact]
    public async Task Reusing_an_idempotency_key_for_a_different_cart_is_a_409()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 10);
        var key = MarketplaceFactory.NewKey();
        await Scenario.ReserveAsync(_buyer, sku, 2, key);

        var response = await _buyer.PostAsync("/cart/reservations", Scenario.Cart(sku, 3), key);

        await response.AssertProblemAsync(409, "inventory.idempotency_key_reused");
        Assert.Equal(2, (await Scenario.StockAsync(_seller, sku)).Reserved);
    }

    [Fact]
    public async Task Two_buyers_using_the_same_key_get_separate_reservations()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 10);
        var key = MarketplaceFactory.NewKey();

        var mine = await Scenario.ReserveAsync(_buyer, sku, 1, key);
        var theirs = await Scenario.ReserveAsync(_otherBuyer, sku, 2, key);

        Assert.NotEqual(mine.Id, theirs.Id);
        Assert.Equal(3, (await Scenario.StockAsync(_seller, sku)).Reserved);
    }

    [Fact]
    public async Task Another_buyer_cannot_see_commit_or_release_a_reservation()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 5);
        var reservation = await Scenario.ReserveAsync(_buyer, sku, 2);

        await (await _otherBuyer.GetAsync($"/cart/reservations/{reservation.Id}")).AssertProblemAsync(404, "inventory.reservation_not_found");
        await (await _otherBuyer.PostAsync($"/cart/reservations/{reservation.Id}/commit", new { })).AssertProblemAsync(404, "inventory.reservation_not_found");
        await (await _otherBuyer.PostAsync($"/cart/reservations/{reservation.Id}/release", new { })).AssertProblemAsync(404, "inventory.reservation_not_found");
        Assert.DoesNotContain(await (await _otherBuyer.GetAsync("/cart/reservations")).ReadAsync<List<ReservationView>>(), r => r.Id == reservation.Id);

        var still = await (await _buyer.GetAsync($"/cart/reservations/{reservation.Id}")).ReadAsync<ReservationView>();
        Assert.Equal(ReservationState.Active, still.State);
        Assert.Equal(2, (await Scenario.StockAsync(_seller, sku)).Reserved);
    }

    [Fact]
    public async Task An_unknown_reservation_is_404_like_someone_elses()
    {
        await (await _buyer.GetAsync("/cart/reservations/rsv_nope")).AssertProblemAsync(404, "inventory.reservation_not_found");
    }

    [Fact]
    public async Task A_buyer_lists_their_own_reservations_newest_first()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 5);
        var older = await Scenario.ReserveAsync(_buyer, sku, 1);
        var newer = await Scenario.ReserveAsync(_buyer, sku, 1);
        await Scenario.ReserveAsync(_otherBuyer, sku, 1);

        var list = await (await _buyer.GetAsync("/cart/reservations")).ReadAsync<List<ReservationView>>();

        Assert.Equal([newer.Id, older.Id], list.Select(r => r.Id));
    }

    [Fact]
    public async Task Not_enough_stock_is_a_409_with_the_availability_of_every_line_and_holds_nothing()
    {
        var plenty = await Scenario.ListStockedProductAsync(_seller, stock: 10);
        var scarce = await Scenario.ListStockedProductAsync(_seller, stock: 2);
        var cart = new ReserveRequest([new ReserveLineRequest(plenty, 1), new ReserveLineRequest(scarce, 3)], null);

        var response = await _buyer.PostAsync("/cart/reservations", cart, MarketplaceFactory.NewKey());

        var problem = await response.AssertProblemAsync(409, "inventory.insufficient_stock");
        var availability = problem.GetProperty(CartEndpoints.AvailabilityExtension).Deserialize<List<LineAvailabilityView>>(MarketplaceFactory.Json);
        Assert.Equal(
            [new LineAvailabilityView(plenty, "default", 1, 10), new LineAvailabilityView(scarce, "default", 3, 2)],
            availability);
        Assert.Equal(0, (await Scenario.StockAsync(_seller, plenty)).Reserved);
    }

    [Fact]
    public async Task A_listed_product_that_never_had_stock_is_a_409_with_zero_available()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 0);

        var response = await _buyer.PostAsync("/cart/reservations", Scenario.Cart(sku, 1), MarketplaceFactory.NewKey());

        var problem = await response.AssertProblemAsync(409, "inventory.insufficient_stock");
        var line = Assert.Single(problem.GetProperty(CartEndpoints.AvailabilityExtension).EnumerateArray());
        Assert.Equal(0, line.GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task A_failed_reservation_leaves_its_key_free_for_a_retry()
    {
        var sku = await Scenario.ListStockedProductAsync(_seller, stock: 1);
        var key = MarketplaceFactory.NewKey();
        await (await _buyer.PostAsync("/cart/reservations", Scenario.Cart(sku, 2), key)).AssertProblemAsync(409, "inventory.insufficient_stock");

        await _seller.PostAsync($"/seller/products/{sku}/stock/adjustments", new Sellers.AdjustStockRequest(1, null), MarketplaceFactory.NewKey());
        var retry = await Scenario.ReserveAsync(_buyer, sku, 2, key);

        Assert.Equal(ReservationState.Active, retry.State);
    }

    /// <summary>Records holding lists compare by reference; compare the lines by value.</summary>
    private sealed class ReservationViewComparer : IEqualityComparer<ReservationView>
    {
        public static readonly ReservationViewComparer Instance = new();

        public bool Equals(ReservationView? x, ReservationView? y) =>
            x is not null && y is not null
            && x with { Lines = [] } == y with { Lines = [] }
            && x.Lines.SequenceEqual(y.Lines);

        public int GetHashCode(ReservationView obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
