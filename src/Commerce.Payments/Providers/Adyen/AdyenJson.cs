using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Payments.Providers.Adyen;

// The subset of the Checkout API and the Standard notification that the adapter writes and reads.

internal sealed class AdyenAmount
{
    public string Currency { get; set; } = string.Empty;

    public long Value { get; set; }
}

internal sealed class AdyenPaymentRequest
{
    public required AdyenAmount Amount { get; init; }

    public required string Reference { get; init; }

    public required string MerchantAccount { get; init; }

    /// <summary>The payment method object from Adyen's Drop-in or Components, embedded verbatim.</summary>
    public required JsonElement PaymentMethod { get; init; }

    public required string ReturnUrl { get; init; }

    public required Dictionary<string, string> AdditionalData { get; init; }
}

internal sealed class AdyenModificationRequest
{
    public required string MerchantAccount { get; init; }

    public required string Reference { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AdyenAmount? Amount { get; init; }
}

internal sealed class AdyenPaymentResponse
{
    public string? PspReference { get; set; }

    public string? ResultCode { get; set; }

    public string? RefusalReason { get; set; }

    public string? RefusalReasonCode { get; set; }
}

internal sealed class AdyenModificationResponse
{
    public string? PaymentPspReference { get; set; }

    public string? PspReference { get; set; }

    public string? Status { get; set; }
}

internal sealed class AdyenError
{
    public int Status { get; set; }

    public string? ErrorCode { get; set; }

    public string? Message { get; set; }

    public string? ErrorType { get; set; }

    public string? PspReference { get; set; }
}

internal sealed class AdyenNotification
{
    public List<AdyenNotificationItemWrapper>? NotificationItems { get; set; }
}

internal sealed class AdyenNotificationItemWrapper
{
    [JsonPropertyName("NotificationRequestItem")]
    public AdyenNotificationItem? Item { get; set; }
}

internal sealed class AdyenNotificationItem
{
    public Dictionary<string, JsonElement>? AdditionalData { get; set; }

    public AdyenAmount? Amount { get; set; }

    public string? EventCode { get; set; }

    public string? EventDate { get; set; }

    public string? MerchantAccountCode { get; set; }

    public string? MerchantReference { get; set; }

    public string? OriginalReference { get; set; }

    public string? PspReference { get; set; }

    public string? Success { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(AdyenPaymentRequest))]
[JsonSerializable(typeof(AdyenModificationRequest))]
[JsonSerializable(typeof(AdyenPaymentResponse))]
[JsonSerializable(typeof(AdyenModificationResponse))]
[JsonSerializable(typeof(AdyenError))]
[JsonSerializable(typeof(AdyenNotification))]
internal sealed partial class AdyenJsonContext : JsonSerializerContext;
