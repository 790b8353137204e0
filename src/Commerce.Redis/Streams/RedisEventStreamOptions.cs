using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.Redis.Streams;

/// <summary>Settings of a <see cref="RedisStreamEventPublisher"/>.</summary>
public sealed class RedisEventStreamOptions
{
    /// <summary>
    /// The stream's name: its key is <c>{prefix}events:{name}</c>, with the name as the hash tag, so the stream, its
    /// dead letter and its publish markers share one Redis Cluster slot. Default <c>events</c>.
    /// </summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.:-]{1,100}$")]
    public string StreamName { get; set; } = "events";

    /// <summary>
    /// The approximate length (<c>MAXLEN ~</c>) the stream is trimmed to on every add; 0 keeps everything. Trimming
    /// drops the oldest entries whether or not every consumer group has read them, so keep it well above the largest
    /// backlog consumers may build. Default 1,000,000.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxLength { get; set; } = 1_000_000;

    /// <summary>
    /// How long an event id is remembered after it is added, so that publishing it again (a relay that crashed between
    /// publishing and marking the outbox) adds nothing. Costs one small key per event for this long; zero turns it
    /// off. Consumers dedupe on the event id regardless: redelivery after a consumer crash repeats events too. Default
    /// 5 minutes, above the outbox relay's 30-second lease and its first retries.
    /// </summary>
    public TimeSpan DedupeWindow { get; set; } = TimeSpan.FromMinutes(5);

    internal string? Errors()
    {
        var result = new RedisEventStreamOptionsValidator().Validate(null, this);
        var errors = result.Failed ? result.FailureMessage : null;
        if (DedupeWindow < TimeSpan.Zero || DedupeWindow > TimeSpan.FromDays(7))
        {
            errors += "DedupeWindow must be between zero and 7 days. ";
        }

        return errors;
    }
}

/// <summary>Validates <see cref="RedisEventStreamOptions"/> against its DataAnnotations, without reflection.</summary>
[OptionsValidator]
internal sealed partial class RedisEventStreamOptionsValidator : IValidateOptions<RedisEventStreamOptions>;
