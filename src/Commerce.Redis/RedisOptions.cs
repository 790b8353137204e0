using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.Redis;

/// <summary>How Commerce Engine reaches Redis (standalone or Redis Cluster).</summary>
public sealed class RedisOptions
{
    /// <summary>The StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or several cluster endpoints.</summary>
    [Required]
    public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>A prefix for every key Commerce Engine writes, so one Redis can serve several environments. No braces.</summary>
    [Required]
    [RegularExpression("^[^{}]*$")]
    public string KeyPrefix { get; set; } = "commerce:";
}

/// <summary>Validates <see cref="RedisOptions"/> without reflection.</summary>
[OptionsValidator]
internal sealed partial class RedisOptionsValidator : IValidateOptions<RedisOptions>;
