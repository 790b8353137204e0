using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.Inventory;

/// <summary>Settings of the inventory engine. Every limit is enforced before a store is touched.</summary>
public sealed class InventoryOptions
{
    /// <summary>How long a reservation holds stock when the request does not say. Default 15 minutes.</summary>
    public TimeSpan DefaultReservationTtl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest time-to-live a request may ask for, on reserve or extend. Default 24 hours.</summary>
    public TimeSpan MaxReservationTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The location used when a request does not name one. Default <c>default</c>.</summary>
    [Required]
    public string DefaultLocation { get; set; } = "default";

    /// <summary>The most lines one reservation may have. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxLinesPerReservation { get; set; } = 100;

    /// <summary>The most units one reservation line may ask for. Default 1,000,000.</summary>
    [Range(1, long.MaxValue / 1024)]
    public long MaxQuantityPerLine { get; set; } = 1_000_000;

    /// <summary>The largest absolute on-hand figure or adjustment accepted. Default 1,000,000,000.</summary>
    [Range(1, long.MaxValue / 1024)]
    public long MaxStockQuantity { get; set; } = 1_000_000_000;

    /// <summary>How many reservations the sweeper expires per batch. Default 500.</summary>
    [Range(1, 100_000)]
    public int ExpiryBatchSize { get; set; } = 500;

    /// <summary>How often the sweeper looks for expired reservations. Default 1 second.</summary>
    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Validates <see cref="InventoryOptions"/> against its DataAnnotations, without reflection.</summary>
[OptionsValidator]
internal sealed partial class InventoryOptionsValidator : IValidateOptions<InventoryOptions>;
