using System.Text;

namespace Commerce.Payments.Reconciliation.Tests;

public sealed class Utf8KeyTableTests
{
    [Fact]
    public void Keys_are_found_after_growth_and_similar_keys_stay_apart()
    {
        var table = new Utf8KeyTable<int>(capacity: 1);
        var keys = Enumerable.Range(0, 20_000).Select(i => Encoding.UTF8.GetBytes($"ch_{i:D20}")).Append([]).Append("é"u8.ToArray()).ToArray();
        var records = new int[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            records[i] = table.GetOrAdd(keys[i], out var exists);
            Assert.False(exists);
            Assert.Equal(0, table[records[i]]);
            table[records[i]] = i;
        }

        Assert.Equal(keys.Length, table.Count);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(table.TryFind(keys[i], out var record));
            Assert.Equal(records[i], record);
            Assert.Equal(i, table[record]);
            Assert.Equal(record, table.GetOrAdd(keys[i], out var exists));
            Assert.True(exists);
        }

        Assert.False(table.TryFind("ch_0000000000000000000"u8, out _));
        Assert.False(table.TryFind("ch_000000000000000000000"u8, out var missing));
        Assert.Equal(-1, missing);
    }

    [Theory]
    [InlineData(0u)] // every key has the same hash: only the bytes tell them apart
    [InlineData(0x3u)]
    [InlineData(0x8000_0001u)]
    public void Keys_sharing_a_hash_are_told_apart_by_their_bytes(uint hashMask)
    {
        var table = new Utf8KeyTable<long>(1, hashMask);
        byte[][] keys = [.. Enumerable.Range(0, 500).Select(i => Encoding.UTF8.GetBytes($"op_{i}")), [], "op_1 "u8.ToArray(), "op_"u8.ToArray()];
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(0u, table.Hash(keys[i]) & ~hashMask);
            table[table.GetOrAdd(keys[i], out var exists)] = i * 10L;
            Assert.False(exists);
        }

        Assert.Equal(keys.Length, table.Count);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(table.TryFind(keys[i], out var record));
            Assert.Equal(i * 10L, table[record]);
            Assert.Equal(record, table.GetOrAdd(keys[i], out var exists));
            Assert.True(exists);
        }

        Assert.False(table.TryFind("op_500"u8, out _));
        Assert.False(table.TryFind("op_1\0"u8, out _));
        Assert.Equal(keys.Length, table.Count);
    }

    [Fact]
    public void A_peek_is_a_guess_by_hash_alone()
    {
        var table = new Utf8KeyTable<int>(1, hashMask: 0);
        var a = table.GetOrAdd("a"u8, out _);
        var b = table.GetOrAdd("b"u8, out _);

        // "b" shares the hash of "a", stored first: the peek names a's record; the lookup still finds b's.
        Assert.True(table.TryPeek(table.Hash("b"u8), out var guess));
        Assert.Equal(a, guess);
        Assert.True(table.TryFind("b"u8, out var record));
        Assert.Equal(b, record);
        Assert.False(new Utf8KeyTable<int>().TryPeek(0, out guess));
        Assert.Equal(-1, guess);
    }

    [Fact]
    public void Appended_records_keep_their_values_as_the_arena_grows_and_no_key_finds_them()
    {
        var table = new Utf8KeyTable<(long Amount, int Next)>(capacity: 1);
        var keyed = table.GetOrAdd("pay_1"u8, out _);
        table[keyed] = (-1, -1);
        var appended = Enumerable.Range(0, 5_000).Select(i => table.Append((i * 1_000_000_007L, i - 1))).ToArray();
        table[keyed] = (42, appended[^1]);

        Assert.Equal(1, table.Count);
        Assert.Equal((42L, appended[^1]), table[keyed]);
        for (var i = 0; i < appended.Length; i++)
        {
            Assert.Equal((i * 1_000_000_007L, i - 1), table[appended[i]]);
        }

        Assert.False(table.TryFind([], out _)); // an appended record has no key, not an empty one
        Assert.True(table.TryFind("pay_1"u8, out var found));
        Assert.Equal(keyed, found);
    }
}
