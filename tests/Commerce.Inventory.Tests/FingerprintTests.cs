using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Commerce.Inventory.Storage;

namespace Commerce.Inventory.Tests;

/// <summary>
/// Fingerprints are stored with reservations and stock changes and compared on every replay, also by later versions:
/// they must stay exactly the hash of the canonical strings the engine has always written.
/// </summary>
public sealed class FingerprintTests
{
    [Theory]
    [InlineData("sku-1", "default", 1L, null)]
    [InlineData("tv-55", "warehouse-2", 3L, 9_000_000_000L)]
    public void A_reservation_fingerprint_is_the_hash_of_its_canonical_string(string sku, string location, long quantity, long? ttlTicks)
    {
        ReservedLine[] lines = [new(new Sku(sku), new LocationId(location), quantity), new(new Sku("a-" + sku), new LocationId(location), 7)];
        TimeSpan? ttl = ttlTicks is { } t ? TimeSpan.FromTicks(t) : null;

        // The canonical string: lines sorted by SKU then location, then the requested TTL's ticks (-1 for none).
        var canonical = new StringBuilder();
        foreach (var line in lines.OrderBy(l => l.Sku).ThenBy(l => l.Location))
        {
            canonical.Append(CultureInfo.InvariantCulture, $"{line.Sku.Value}\u001f{line.Location.Value}\u001f{line.Quantity}\u001e");
        }

        canonical.Append(CultureInfo.InvariantCulture, $"{ttlTicks ?? -1}");

        Assert.Equal(Hash(canonical.ToString()), InventoryService.ReservationFingerprint(lines, ttl));
        Assert.Equal(Hash($"sku-x\u001fdefault\u001f2\u001e-1"), InventoryService.ReservationFingerprint([new(new Sku("sku-x"), new LocationId("default"), 2)], null));
    }

    [Theory]
    [InlineData(StockChangeKind.Adjust, -5L, "damaged in transit")]
    [InlineData(StockChangeKind.Sync, 1_000L, "nightly count: üñïçødé")]
    public void A_stock_change_fingerprint_is_the_hash_of_its_canonical_string(StockChangeKind kind, long quantity, string reason)
    {
        var canonical = string.Create(CultureInfo.InvariantCulture, $"{(int)kind}\u001fsku-1\u001fdefault\u001f{quantity}\u001f{reason}");

        Assert.Equal(Hash(canonical), InventoryService.StockChangeFingerprint(kind, new Sku("sku-1"), new LocationId("default"), quantity, reason));
    }

    [Fact]
    public void A_long_canonical_form_grows_past_the_stack_buffer()
    {
        var reason = new string('ü', 200); // 400 bytes of UTF-8
        var lines = Enumerable.Range(0, 50).Select(i => new ReservedLine(new Sku($"sku-{i:D3}"), new LocationId("default"), i + 1)).ToArray();
        var canonical = string.Concat(lines.Select(l => $"{l.Sku.Value}\u001fdefault\u001f{l.Quantity}\u001e")) + "-1";

        Assert.Equal(Hash(canonical), InventoryService.ReservationFingerprint(lines, null));
        Assert.Equal(Hash($"1\u001fsku-1\u001fdefault\u001f3\u001f{reason}"),
            InventoryService.StockChangeFingerprint(StockChangeKind.Adjust, new Sku("sku-1"), new LocationId("default"), 3, reason));
    }

    private static Guid Hash(string canonical) => new(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)).AsSpan(0, 16));
}
