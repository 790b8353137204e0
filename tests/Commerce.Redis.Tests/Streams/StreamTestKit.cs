using System.Collections.Concurrent;
using System.Text;
using Commerce.Events;
using Commerce.Redis.Streams;

namespace Commerce.Redis.Tests.Streams;

/// <summary>A handler that records what it is given and does what the test says.</summary>
internal sealed class RecordingHandler(Func<EventEnvelope, StreamDelivery, CancellationToken, ValueTask>? behaviour = null) : IStreamEventHandler
{
    public ConcurrentQueue<(EventEnvelope Envelope, StreamDelivery Delivery)> Attempts { get; } = new();

    public ConcurrentQueue<(EventEnvelope Envelope, StreamDelivery Delivery)> Handled { get; } = new();

    public async ValueTask HandleAsync(EventEnvelope envelope, StreamDelivery delivery, CancellationToken cancellationToken)
    {
        Attempts.Enqueue((envelope, delivery));
        if (behaviour is not null)
        {
            await behaviour(envelope, delivery, cancellationToken);
        }

        Handled.Enqueue((envelope, delivery));
    }
}

internal static class StreamTestKit
{
    private static long _sequence;

    public static EventEnvelope Event(string streamId = "order-1", string? correlationId = null) =>
        new(EventIds.Next(), "ordering.order.placed", streamId, new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.FromHours(1)).AddTicks(Interlocked.Increment(ref _sequence)),
            Encoding.UTF8.GetBytes($$"""{"n":{{_sequence}}}"""))
        {
            CorrelationId = correlationId,
        };

    public static async Task WaitUntilAsync(Func<bool> condition, int seconds = 20)
    {
        var deadline = Environment.TickCount64 + (seconds * 1000);
        while (!condition() && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "The condition was not met in time.");
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, int seconds = 20)
    {
        var deadline = Environment.TickCount64 + (seconds * 1000);
        while (!await condition() && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(await condition(), "The condition was not met in time.");
    }
}
