using System.ComponentModel.DataAnnotations;
using Commerce.Events;
using Microsoft.Extensions.Options;

namespace Commerce.Ordering;

/// <summary>Settings of the ordering engine. Every limit is enforced before a store is touched.</summary>
public sealed class OrderingOptions
{
    /// <summary>The most lines one order may have. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxLinesPerOrder { get; set; } = 100;

    /// <summary>The most units one line may have. Default 1,000,000.</summary>
    [Range(1, long.MaxValue / 1024)]
    public long MaxQuantityPerLine { get; set; } = 1_000_000;

    /// <summary>
    /// How many times a command without <see cref="OrderCommand.ExpectedVersion"/> is decided again after losing a
    /// race with a concurrent change of the same order, before it gives up with a version conflict. Default 64.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxConcurrencyRetries { get; set; } = 64;

    /// <summary>The page size used when a query does not say. Default 50.</summary>
    [Range(1, 10_000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The largest page size a query may ask for. Default 500.</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 500;

    /// <summary>The most outbox messages the relay publishes per round. Default 256.</summary>
    [Range(1, 100_000)]
    public int OutboxBatchSize { get; set; } = 256;

    /// <summary>Failed publish attempts after which the relay moves a message to the dead letter. Default 10.</summary>
    [Range(1, 1_000)]
    public int OutboxMaxAttempts { get; set; } = 10;

    /// <summary>The relay's first retry delay; it doubles per failed attempt up to one minute. Default 1 second.</summary>
    public TimeSpan OutboxRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the relay waits when the outbox is empty. Default 200 milliseconds.</summary>
    public TimeSpan OutboxIdleDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    internal OutboxRelayOptions RelayOptions() => new()
    {
        BatchSize = OutboxBatchSize,
        MaxAttempts = OutboxMaxAttempts,
        RetryBaseDelay = OutboxRetryBaseDelay,
        IdleDelay = OutboxIdleDelay,
    };
}

/// <summary>Validates <see cref="OrderingOptions"/> against its DataAnnotations, without reflection.</summary>
[OptionsValidator]
internal sealed partial class OrderingOptionsValidator : IValidateOptions<OrderingOptions>;
