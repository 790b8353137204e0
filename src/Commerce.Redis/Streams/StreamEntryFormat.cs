using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Commerce.Events;
using StackExchange.Redis;

namespace Commerce.Redis.Streams;

/// <summary>
/// An <see cref="EventEnvelope"/> as a stream entry: fields <c>id</c> (the event id, a GUID), <c>type</c>,
/// <c>stream</c> (the aggregate), <c>at</c> (ISO 8601 round-trip), <c>corr</c> (empty when none) and <c>data</c>
/// (the UTF-8 JSON payload), readable from any language.
/// </summary>
internal static class StreamEntryFormat
{
    public const int ValuesPerEvent = 6;

    public static void Write(EventEnvelope envelope, RedisValue[] values, int offset)
    {
        values[offset] = envelope.EventId.ToString("D");
        values[offset + 1] = envelope.EventType;
        values[offset + 2] = envelope.StreamId;
        values[offset + 3] = envelope.OccurredAt.ToString("O", CultureInfo.InvariantCulture);
        values[offset + 4] = envelope.CorrelationId ?? string.Empty;
        values[offset + 5] = envelope.Payload;
    }

    public static bool TryRead(NameValueEntry[] fields, [NotNullWhen(true)] out EventEnvelope? envelope)
    {
        envelope = null;
        RedisValue id = default, type = default, stream = default, at = default, correlation = default, data = default;
        foreach (var field in fields)
        {
            switch ((string?)field.Name)
            {
                case "id": id = field.Value; break;
                case "type": type = field.Value; break;
                case "stream": stream = field.Value; break;
                case "at": at = field.Value; break;
                case "corr": correlation = field.Value; break;
                case "data": data = field.Value; break;
                default: break;
            }
        }

        if (!Guid.TryParse((string?)id, out var eventId)
            || type.IsNullOrEmpty
            || stream.IsNullOrEmpty
            || !DateTimeOffset.TryParseExact((string?)at, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var occurredAt)
            || data.IsNull)
        {
            return false;
        }

        envelope = new EventEnvelope(eventId, type!, stream!, occurredAt, (byte[])data!)
        {
            CorrelationId = correlation.IsNullOrEmpty ? null : (string?)correlation,
        };
        return true;
    }
}
