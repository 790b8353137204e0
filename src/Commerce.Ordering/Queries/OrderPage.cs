using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Commerce.Ordering;

/// <summary>A page of orders, newest first, and the token for the next page.</summary>
/// <param name="Orders">The orders on this page.</param>
/// <param name="NextPageToken">Pass to the same query for the next page; null on the last page.</param>
public sealed record OrderPage(IReadOnlyList<Order> Orders, string? NextPageToken);

/// <summary>Where a page of newest-first orders ends: the last order's placement time and id (ids break ties).</summary>
/// <param name="PlacedAt">The last order's <see cref="Order.PlacedAt"/>.</param>
/// <param name="OrderId">The last order's id.</param>
public readonly record struct OrderCursor(DateTimeOffset PlacedAt, OrderId OrderId)
{
    /// <summary>Whether an order comes after this cursor in newest-first order.</summary>
    public bool Precedes(Order order) =>
        order.PlacedAt < PlacedAt || (order.PlacedAt == PlacedAt && order.Id.CompareTo(OrderId) < 0);

    internal string ToToken()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{PlacedAt.UtcTicks}|{OrderId.Value}");
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
    }

    internal static bool TryParse(string token, out OrderCursor cursor)
    {
        cursor = default;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(bytes);
        var separator = text.IndexOf('|', StringComparison.Ordinal);
        if (separator <= 0
            || !long.TryParse(text.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !OrderId.TryParse(text[(separator + 1)..], out var id))
        {
            return false;
        }

        cursor = new OrderCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
        return true;
    }
}
