using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Payments.Providers.Stripe;

// The subset of Stripe's objects the adapter reads. Unknown fields are ignored, so new API versions do not break it.

internal sealed class StripePaymentIntent
{
    public string Id { get; set; } = string.Empty;

    public string? Status { get; set; }

    public long Amount { get; set; }

    public long AmountCapturable { get; set; }

    public long AmountReceived { get; set; }

    public string? Currency { get; set; }

    public long Created { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    /// <summary>The latest charge when expanded; an id string (read as null) otherwise.</summary>
    [JsonConverter(typeof(ExpandableChargeConverter))]
    public StripeCharge? LatestCharge { get; set; }

    public StripeError? LastPaymentError { get; set; }
}

internal sealed class StripeCharge
{
    public string Id { get; set; } = string.Empty;

    public long Amount { get; set; }

    public long AmountCaptured { get; set; }

    public long AmountRefunded { get; set; }

    public string? Currency { get; set; }

    public string? PaymentIntent { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }
}

internal sealed class StripeRefund
{
    public string Id { get; set; } = string.Empty;

    public long Amount { get; set; }

    public string? Currency { get; set; }

    public string? Status { get; set; }

    public string? PaymentIntent { get; set; }

    public string? FailureReason { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }
}

internal sealed class StripeList
{
    public List<StripePaymentIntent> Data { get; set; } = [];

    public bool HasMore { get; set; }
}

internal sealed class StripeErrorEnvelope
{
    public StripeError? Error { get; set; }
}

internal sealed class StripeError
{
    public string? Type { get; set; }

    public string? Code { get; set; }

    public string? DeclineCode { get; set; }

    public string? Message { get; set; }

    public StripePaymentIntent? PaymentIntent { get; set; }
}

internal sealed class StripeEvent
{
    public string? Id { get; set; }

    public string? Type { get; set; }

    public long Created { get; set; }

    public StripeEventData? Data { get; set; }
}

internal sealed class StripeEventData
{
    public JsonElement Object { get; set; }
}

/// <summary>Reads an expandable field: an object when expanded, an id string (ignored) when not.</summary>
internal sealed class ExpandableChargeConverter : JsonConverter<StripeCharge>
{
    public override StripeCharge? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            return JsonSerializer.Deserialize(ref reader, StripeJsonContext.Default.StripeCharge);
        }

        reader.Skip();
        return null;
    }

    public override void Write(Utf8JsonWriter writer, StripeCharge value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, StripeJsonContext.Default.StripeCharge);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StripePaymentIntent))]
[JsonSerializable(typeof(StripeCharge))]
[JsonSerializable(typeof(StripeRefund))]
[JsonSerializable(typeof(StripeList))]
[JsonSerializable(typeof(StripeErrorEnvelope))]
[JsonSerializable(typeof(StripeEvent))]
internal sealed partial class StripeJsonContext : JsonSerializerContext;
