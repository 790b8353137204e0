using Commerce.Collections;
using FsCheck;
using FsCheck.Fluent;

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

    [Fact]
    public void Random_operations_agree_with_a_dictionary()
    {
        // Keys from a small range so that adds, removes and re-adds meet: free entries are reused, chains get long, and
        // (with a thousand keys live) the buckets grow and entries spill over into further chunks.
        var operations = (
            from op in Gen.Choose(0, 6)
            from key in Gen.Choose(0, 1_500)
            from value in Gen.Choose(0, 9)
            select (Op: op, Key: key, Value: value)).ArrayOf();
        var property = Prop.ForAll(operations.ToArbitrary(), ((int Op, int Key, int Value)[] ops) =>
        {
            foreach (var stripes in new[] { 1, 4 })
            {
                var map = new StripedDictionary<int, int>(null, stripes);
                var model = new Dictionary<int, int>();
                foreach (var (op, key, value) in ops)
                {
                    switch (op)
                    {
                        case 0:
                            Assert.Equal(model.TryAdd(key, value), map.TryAdd(key, value));
                            break;
                        case 1:
                            map[key] = value;
                            model[key] = value;
                            break;
                        case 2:
                            var updates = model.TryGetValue(key, out var current) && current == value;
                            Assert.Equal(updates, map.TryUpdate(key, value + 1, comparand: value));
                            if (updates)
                            {
                                model[key] = value + 1;
                            }

                            break;
                        case 3:
                            Assert.Equal(model.Remove(key, out var removed), map.TryRemove(key, out var mapRemoved));
                            Assert.Equal(removed, mapRemoved);
                            break;
                        case 4:
                            var removes = model.TryGetValue(key, out var held) && held == value;
                            Assert.Equal(removes, map.TryRemove(key, value));
                            if (removes)
                            {
                                model.Remove(key);
                            }

                            break;
                        case 5:
                            Assert.Equal(model.TryGetValue(key, out var existing) ? existing : value, map.GetOrAdd(key, static (_, v) => v, value));
                            model.TryAdd(key, value);
                            break;
                        default:
                            Assert.Equal(model.TryGetValue(key, out var expected), map.TryGetValue(key, out var actual));
                            Assert.Equal(expected, actual);
                            Assert.Equal(model.ContainsKey(key), map.ContainsKey(key));
                            break;
                    }
                }

                Assert.Equal(model.Count, map.Count);
                Assert.Equal(model.OrderBy(static e => e.Key), map.SnapshotEntries().OrderBy(static e => e.Key));
                Assert.Equal(model.OrderBy(static e => e.Key), map.ScanEntries().OrderBy(static e => e.Key));
                Assert.Equal(model.Values.Order(), map.SnapshotValues().Order());
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(4_000), property);
    }

    [Fact]
    public void Keys_that_all_hash_alike_stay_apart_through_growth_and_removal()
    {
        var map = new StripedDictionary<string, int>(new OneHashComparer(), stripes: 2);
        for (var i = 0; i < 600; i++)
        {
            Assert.True(map.TryAdd($"k{i}", i));
        }

        for (var i = 0; i < 600; i += 2)
        {
            Assert.True(map.TryRemove($"k{i}", out var removed));
            Assert.Equal(i, removed);
        }

        for (var i = 0; i < 600; i++)
        {
            Assert.Equal(i % 2 == 1, map.TryGetValue($"k{i}", out var value));
            Assert.Equal(i % 2 == 1 ? i : 0, value);
        }

        Assert.Equal(300, map.Count);
    }

    [Fact]
    public void A_failed_factory_adds_nothing()
    {
        var map = new StripedDictionary<string, string>(StringComparer.Ordinal, stripes: 1);

        Assert.Throws<InvalidOperationException>(() => map.GetOrAdd("a", static (_, _) => throw new InvalidOperationException(), 0));

        Assert.False(map.ContainsKey("a"));
        Assert.Equal(0, map.Count);
    }

    [Fact]
    public void A_factory_that_adds_to_the_same_stripe_keeps_its_value()
    {
        // One stripe: the factory's own adds grow the entries the new key's entry would live in.
        var map = new StripedDictionary<int, int>(null, stripes: 1);

        var value = map.GetOrAdd(0, static (_, m) =>
        {
            for (var i = 1; i <= 40; i++)
            {
                m.TryAdd(i, i);
            }

            return -1;
        }, map);

        Assert.Equal(-1, value);
        Assert.True(map.TryGetValue(0, out var stored));
        Assert.Equal(-1, stored);
        Assert.Equal(41, map.Count);
    }

    private sealed class OneHashComparer : IEqualityComparer<string>
    {
        public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

        public int GetHashCode(string obj) => 42;
    }
}
