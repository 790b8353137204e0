using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.Redis.Streams;

/// <summary>Settings of a <see cref="RedisStreamConsumer"/>: one consumer of one consumer group on one stream.</summary>
public sealed class RedisStreamConsumerOptions
{
    /// <summary>The stream's name, as given to the publisher (<see cref="RedisEventStreamOptions.StreamName"/>). Default <c>events</c>.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.:-]{1,100}$")]
    public string StreamName { get; set; } = "events";

    /// <summary>The consumer group: consumers of one group share the stream's entries, each group sees all of them. Default <c>default</c>.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.:-]{1,100}$")]
    public string GroupName { get; set; } = "default";

    /// <summary>This consumer's name in its group, unique per running instance. Default: machine name, process id and a random suffix.</summary>
    [RegularExpression(@"^[A-Za-z0-9_.:-]{1,200}$")]
    public string? ConsumerName { get; set; }

    /// <summary>
    /// Whether a group created by this consumer starts at the beginning of the stream (every retained event) rather
    /// than at its end (only events added from then on). Default true: an outbox's events are not to be skipped.
    /// </summary>
    public bool StartFromBeginning { get; set; } = true;

    /// <summary>The most entries read per round. Default 100.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>How long to wait when the stream has nothing new. Default 100 milliseconds.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long an entry stays delivered but unacknowledged before another consumer of the group takes it over: its
    /// consumer is taken to have died (or its handler failed). Must exceed the time a batch takes to handle, or an
    /// entry still being handled is handled twice. Default 30 seconds.
    /// </summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often this consumer looks for entries to take over. Default 5 seconds.</summary>
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Deliveries after which an entry that was never acknowledged goes to the dead-letter stream
    /// (<c>{prefix}events:{name}:dead-letter</c>) instead of being delivered again. Default 5.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>The approximate length the dead-letter stream is trimmed to. Default 100,000.</summary>
    [Range(1, long.MaxValue)]
    public long DeadLetterMaxLength { get; set; } = 100_000;

    internal string? Errors()
    {
        var result = new RedisStreamConsumerOptionsValidator().Validate(null, this);
        var errors = result.Failed ? result.FailureMessage : null;
        if (PollInterval <= TimeSpan.Zero || ClaimInterval <= TimeSpan.Zero || ClaimIdleTime < TimeSpan.FromMilliseconds(1))
        {
            errors += "PollInterval and ClaimInterval must be above zero, ClaimIdleTime at least 1 millisecond. ";
        }

        return errors;
    }

    internal RedisStreamConsumerOptions Snapshot()
    {
        var copy = (RedisStreamConsumerOptions)MemberwiseClone();
        copy.ConsumerName ??= $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        return copy;
    }
}

/// <summary>Validates <see cref="RedisStreamConsumerOptions"/> against its DataAnnotations, without reflection.</summary>
[OptionsValidator]
internal sealed partial class RedisStreamConsumerOptionsValidator : IValidateOptions<RedisStreamConsumerOptions>;
