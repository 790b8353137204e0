using System.Text;

namespace Commerce.Payments.Reconciliation.Tests;

public sealed class Utf8KeyTableTests
{
    [Fact]
    public void Keys_are_found_after_growth_and_similar_keys_stay_apart()
    {
        var table = new Utf8KeyTable<int>(capacity: 1);
        var keys = Enumerable.Range(0, 20_000).Select(i => Encoding.UTF8.GetBytes($"ch_{i:D20}")).Append([]).Append("é"u8.ToArray()).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            table.GetValueRefOrAddDefault(keys[i], out var exists) = i;
            Assert.False(exists);
        }

        Assert.Equal(keys.Length, table.Count);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(table.TryGetValue(keys[i], out var value));
            Assert.Equal(i, value);
            Assert.Equal(i, table.GetValueRefOrAddDefault(keys[i], out var exists));
            Assert.True(exists);
        }

        Assert.False(table.TryGetValue("ch_0000000000000000000"u8, out _));
        Assert.False(table.TryGetValue("ch_000000000000000000000"u8, out _));
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
            table.GetValueRefOrAddDefault(keys[i], out var exists) = i * 10L;
            Assert.False(exists);
        }

        Assert.Equal(keys.Length, table.Count);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(table.TryGetValue(keys[i], out var value));
            Assert.Equal(i * 10L, value);
            Assert.Equal(i * 10L, table.GetValueRefOrAddDefault(keys[i], out var exists));
            Assert.True(exists);
        }

        Assert.False(table.TryGetValue("op_500"u8, out _));
        Assert.False(table.TryGetValue("op_1\0"u8, out _));
        Assert.Equal(keys.Length, table.Count);
    }

    [Fact]
    public void A_peek_is_a_guess_by_hash_alone()
    {
        var table = new Utf8KeyTable<int>(1, hashMask: 0);
        table.GetValueRefOrAddDefault("a"u8, out _) = 1;
        table.GetValueRefOrAddDefault("b"u8, out _) = 2;

        // "b" shares the hash of "a", stored first: the peek names a's value; the lookup still finds b's.
        Assert.True(table.TryPeek(table.Hash("b"u8), out var guess, out var key));
        Assert.Equal(1, guess);
        Assert.True(key >= 0);
        Assert.True(table.TryGetValue("b"u8, out var value));
        Assert.Equal(2, value);
        Assert.False(new Utf8KeyTable<int>().TryPeek(0, out _, out key));
        Assert.Equal(-1, key);
    }
}
