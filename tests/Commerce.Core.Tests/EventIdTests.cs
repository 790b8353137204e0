using Commerce.Events;

namespace Commerce.Core.Tests;

public sealed class EventIdTests
{
    [Fact]
    public async Task Event_ids_are_unique_across_threads_and_ordered_within_one()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 10_000).Select(_ => EventIds.Next()).ToArray())));

        Assert.Equal(80_000, batches.SelectMany(b => b).Distinct().Count());
        Assert.All(batches, batch => Assert.True(batch.Zip(batch.Skip(1)).All(p => p.First.CompareTo(p.Second) < 0), "ids of one thread go up"));
    }
}
