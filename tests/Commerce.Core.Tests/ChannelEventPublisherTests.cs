using Commerce.Events;

namespace Commerce.Core.Tests;

public sealed class ChannelEventPublisherTests
{
    [Fact]
    public async Task Readers_receive_events_in_publication_order()
    {
        var publisher = new ChannelEventPublisher();
        await publisher.PublishAsync([Event("a"), Event("b")], CancellationToken.None);
        await publisher.PublishAsync([Event("c")], CancellationToken.None);
        publisher.Complete();

        var received = new List<string>();
        await foreach (var envelope in publisher.Reader.ReadAllAsync())
        {
            received.Add(envelope.EventType);
        }

        Assert.Equal(["a", "b", "c"], received);
    }

    [Fact]
    public async Task A_full_bounded_channel_makes_the_publisher_wait_instead_of_dropping()
    {
        var publisher = new ChannelEventPublisher(capacity: 1);
        await publisher.PublishAsync([Event("a")], CancellationToken.None);

        var second = publisher.PublishAsync([Event("b")], CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);

        Assert.True(publisher.Reader.TryRead(out var first));
        Assert.Equal("a", first.EventType);
        await second;
        Assert.True(publisher.Reader.TryRead(out var next));
        Assert.Equal("b", next.EventType);
    }

    [Fact]
    public async Task Publishing_after_completion_throws_so_the_relay_keeps_the_event()
    {
        var publisher = new ChannelEventPublisher();
        publisher.Complete();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => publisher.PublishAsync([Event("a")], CancellationToken.None).AsTask());
    }

    private static EventEnvelope Event(string type) => new(Guid.NewGuid(), type, "stream", DateTimeOffset.UnixEpoch, Array.Empty<byte>());
}
