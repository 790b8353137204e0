using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Commerce.Payments;

/// <summary>Settings of the payments engine. Every limit is enforced before a store or a PSP is touched.</summary>
public sealed class PaymentsOptions
{
    /// <summary>How long a request holds its idempotency key; a retry after that resumes it (its holder died). Default 30 seconds.</summary>
    public TimeSpan KeyLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long finished idempotency keys are kept before they are reaped. Default 24 hours.</summary>
    public TimeSpan KeyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The largest amount, in minor units, one operation may carry. Default 100,000,000,000 (a billion in a 2-decimal currency).</summary>
    [Range(1, long.MaxValue)]
    public long MaxAmountMinor { get; set; } = 100_000_000_000;

    /// <summary>The longest payment-method token accepted. Default 255.</summary>
    [Range(1, 4096)]
    public int MaxPaymentMethodLength { get; set; } = 255;

    /// <summary>The most seller splits one payment may have. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxSplits { get; set; } = 100;

    /// <summary>The commission, in basis points, for sellers without their own rate. Default 0.</summary>
    [Range(0, 10_000)]
    public int DefaultCommissionBasisPoints { get; set; }

    /// <summary>Commission rates per seller id, in basis points (250 is 2.5%); fixed into each payment at authorization.</summary>
    public IDictionary<string, int> CommissionBasisPoints { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>The largest webhook body accepted, in bytes. Default 256 KiB.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxWebhookBytes { get; set; } = 256 * 1024;

    /// <summary>How often the resolver looks for payments with an unknown or abandoned PSP call. Default 1 second.</summary>
    public TimeSpan ResolverInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many payments the resolver handles per round. Default 100.</summary>
    [Range(1, 100_000)]
    public int ResolverBatchSize { get; set; } = 100;

    /// <summary>Whether stores write events to their outbox for the relay. Default true.</summary>
    public bool RecordEvents { get; set; } = true;

    internal int CommissionFor(SellerId seller) =>
        CommissionBasisPoints.TryGetValue(seller.Value, out var rate) ? rate : DefaultCommissionBasisPoints;
}

/// <summary>Validates <see cref="PaymentsOptions"/> against its DataAnnotations, without reflection.</summary>
[OptionsValidator]
internal sealed partial class PaymentsOptionsValidator : IValidateOptions<PaymentsOptions>;
