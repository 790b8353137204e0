using System.Buffers;
using System.Text.Json;
using Commerce.Checkout;

namespace Commerce.PostgreSql.Checkout;

/// <summary>
/// The saga as the JSON document stored in <c>checkout_sagas.state</c>. Written and read field by field (no
/// reflection, trimming-safe); times keep every tick and their offset, so a saga reads back equal to the one written.
/// </summary>
internal static class CheckoutSagaDocument
{
    public static string Write(CheckoutSaga saga)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", saga.Id.Value);
            json.WriteString("idempotencyKey", saga.IdempotencyKey.Value);
            json.WriteString("fingerprint", saga.Fingerprint);
            json.WriteString("buyer", saga.Buyer.Value);
            json.WriteString("currency", saga.Currency.Code);
            json.WriteStartArray("lines");
            foreach (var line in saga.Lines)
            {
                json.WriteStartObject();
                json.WriteString("sku", line.Sku.Value);
                json.WriteString("seller", line.Seller.Value);
                json.WriteNumber("quantity", line.Quantity);
                json.WriteNumber("unitPriceMinor", line.UnitPriceMinor);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("totalMinor", saga.TotalMinor);
            json.WriteString("paymentMethod", saga.PaymentMethod);
            json.WriteNumber("captureMode", (int)saga.CaptureMode);
            json.WriteString("reservationId", saga.ReservationId.Value);
            json.WriteString("orderId", saga.OrderId.Value);
            json.WriteString("paymentId", saga.PaymentId.Value);
            json.WriteString("reservationExpiresAt", saga.ReservationExpiresAt);
            json.WriteNumber("step", (int)saga.Step);
            if (saga.FailureCode is { } code)
            {
                json.WriteString("failureCode", code);
            }

            if (saga.FailureMessage is { } message)
            {
                json.WriteString("failureMessage", message);
            }

            json.WriteStartArray("capturedSellers");
            foreach (var seller in saga.CapturedSellers)
            {
                json.WriteStringValue(seller.Value);
            }

            json.WriteEndArray();
            json.WriteNumber("version", saga.Version);
            json.WriteString("createdAt", saga.CreatedAt);
            json.WriteString("updatedAt", saga.UpdatedAt);
            json.WriteString("leaseExpiresAt", saga.LeaseExpiresAt);
            json.WriteNumber("recoveryAttempts", saga.RecoveryAttempts);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static CheckoutSaga Read(string document)
    {
        using var parsed = JsonDocument.Parse(document);
        var root = parsed.RootElement;
        var currency = Currency.FromCode(root.GetProperty("currency").GetString()!);
        var lineElements = root.GetProperty("lines");
        var lines = new CheckoutSagaLine[lineElements.GetArrayLength()];
        var i = 0;
        foreach (var line in lineElements.EnumerateArray())
        {
            lines[i++] = new CheckoutSagaLine(
                new Sku(line.GetProperty("sku").GetString()!),
                new SellerId(line.GetProperty("seller").GetString()!),
                line.GetProperty("quantity").GetInt64(),
                line.GetProperty("unitPriceMinor").GetInt64());
        }

        var sellerElements = root.GetProperty("capturedSellers");
        var captured = sellerElements.GetArrayLength() == 0 ? [] : new SellerId[sellerElements.GetArrayLength()];
        i = 0;
        foreach (var seller in sellerElements.EnumerateArray())
        {
            captured[i++] = new SellerId(seller.GetString()!);
        }

        return new CheckoutSaga
        {
            Id = new CheckoutId(root.GetProperty("id").GetString()!),
            IdempotencyKey = new IdempotencyKey(root.GetProperty("idempotencyKey").GetString()!),
            Fingerprint = root.GetProperty("fingerprint").GetGuid(),
            Buyer = new BuyerId(root.GetProperty("buyer").GetString()!),
            Currency = currency,
            Lines = lines,
            TotalMinor = root.GetProperty("totalMinor").GetInt64(),
            PaymentMethod = root.GetProperty("paymentMethod").GetString()!,
            CaptureMode = (CaptureMode)root.GetProperty("captureMode").GetInt32(),
            ReservationId = new ReservationId(root.GetProperty("reservationId").GetString()!),
            OrderId = new OrderId(root.GetProperty("orderId").GetString()!),
            PaymentId = new PaymentId(root.GetProperty("paymentId").GetString()!),
            ReservationExpiresAt = root.GetProperty("reservationExpiresAt").GetDateTimeOffset(),
            Step = (CheckoutStep)root.GetProperty("step").GetInt32(),
            FailureCode = root.TryGetProperty("failureCode", out var code) ? code.GetString() : null,
            FailureMessage = root.TryGetProperty("failureMessage", out var message) ? message.GetString() : null,
            CapturedSellers = captured,
            Version = root.GetProperty("version").GetInt64(),
            CreatedAt = root.GetProperty("createdAt").GetDateTimeOffset(),
            UpdatedAt = root.GetProperty("updatedAt").GetDateTimeOffset(),
            LeaseExpiresAt = root.GetProperty("leaseExpiresAt").GetDateTimeOffset(),
            RecoveryAttempts = root.GetProperty("recoveryAttempts").GetInt32(),
        };
    }
}
