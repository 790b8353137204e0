using System.Text;

namespace Commerce.Payments.Reconciliation.Tests;

public sealed class Utf8KeyTableTests
{
    [Fact]
    public void Keys_are_found_after_growth_and_similar_keys_stay_apart()
    {
        var table = new Utf8KeyTable(capacity: 1);
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
}
