using Commerce.Collections;

namespace Commerce.Core.Tests;

public sealed class StripedDictionaryTests
{
    [Fact]
    public void Adds_reads_updates_and_removes_like_a_dictionary()
    {
        var map = new StripedDictionary<string, string>(StringComparer.Ordinal, stripes: 4);

        Assert.True(map.TryAdd("a", "1"));
        Assert.False(map.TryAdd("a", "2"));
        Assert.True(map.TryGetValue("a", out var value));
        Assert.Equal("1", value);
        Assert.False(map.TryUpdate("a", "3", comparand: "2"));
        Assert.True(map.TryUpdate("a", "3", comparand: "1"));
        Assert.False(map.TryUpdate("missing", "3", comparand: "1"));
        Assert.False(map.TryRemove("a", "1"));
        Assert.True(map.TryRemove("a", "3"));
        Assert.False(map.ContainsKey("a"));
        map["b"] = "x";
        map["b"] = "y";
        Assert.Equal("y", map.GetOrAdd("b", static (_, s) => s, "z"));
        Assert.Equal("z", map.GetOrAdd("c", static (_, s) => s, "z"));
        Assert.True(map.TryRemove("c", out var removed));
        Assert.Equal("z", removed);
        Assert.Equal(1, map.Count);
    }

    [Fact]
    public void Concurrent_writers_on_shared_keys_lose_nothing()
    {
        var map = new StripedDictionary<int, long>(null, stripes: 8);
        const int Keys = 1_000;
        const int Rounds = 2_000;

        // Each thread adds one to random keys by compare-and-swap: the total must come out exact.
        Parallel.For(0, 4, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < Rounds * 10; i++)
            {
                var key = random.Next(Keys);
                while (true)
                {
                    if (map.TryAdd(key, 1))
                    {
                        break;
                    }

                    if (map.TryGetValue(key, out var current) && map.TryUpdate(key, current + 1, current))
                    {
                        break;
                    }
                }
            }
        });

        Assert.Equal(4L * Rounds * 10, map.SnapshotValues().Sum());
        Assert.Equal(map.Count, map.SnapshotEntries().Count);
        Assert.All(map.SnapshotEntries(), e => Assert.InRange(e.Key, 0, Keys - 1));
    }

    [Fact]
    public void A_stripe_count_must_be_positive_and_any_count_keeps_every_key()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StripedDictionary<int, int>(null, stripes: 0));
        var map = new StripedDictionary<int, int>(null, stripes: 3);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(map.TryAdd(i, i));
        }

        Assert.Equal(10_000, map.Count);
        Assert.Equal(Enumerable.Range(0, 10_000), map.SnapshotValues().Order());
    }

    [Fact]
    public void A_scan_sees_every_entry_present_throughout_and_allows_removing_while_scanning()
    {
        var map = new StripedDictionary<int, int>(null, stripes: 4);
        for (var i = 0; i < 1_000; i++)
        {
            map.TryAdd(i, i * 2);
        }

        var seen = new List<int>();
        foreach (var (key, value) in map.ScanEntries())
        {
            Assert.Equal(key * 2, value);
            seen.Add(key);
            Assert.True(map.TryRemove(key, value));
        }

        Assert.Equal(Enumerable.Range(0, 1_000), seen.Order());
        Assert.Equal(0, map.Count);
    }
}
