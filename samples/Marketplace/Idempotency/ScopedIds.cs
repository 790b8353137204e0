using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Commerce;

namespace Marketplace.Idempotency;

/// <summary>
/// Derives the engine's ids from a client's <c>Idempotency-Key</c> and the signed-in user.
/// </summary>
/// <remarks>
/// The engine's reservation ids and stock-change keys are global, but each client picks its keys alone. Deriving the
/// engine id from (purpose, owner, key) means that two buyers who happen to send the same key get two reservations
/// instead of one colliding, and that nobody can reach someone else's reservation by guessing their key; the same
/// buyer retrying with the same key gets the same id, so the engine replays the first outcome. Hashing keeps the id
/// within <see cref="ReservationId.MaxLength"/> (128) whatever the lengths of the owner (up to 64) and the key (up
/// to 255), and needs no escaping: the parts are joined with a line feed, which no identifier may contain.
/// </remarks>
public static class ScopedIds
{
    /// <summary>The reservation id for a buyer's key.</summary>
    public static ReservationId Reservation(BuyerId buyer, IdempotencyKey key) =>
        new("rsv_" + Digest("reservation", buyer.Value, key.Value));

    /// <summary>The engine idempotency key for a seller's stock change of one SKU.</summary>
    public static IdempotencyKey StockChange(SellerId seller, IdempotencyKey key, Sku sku) =>
        new("stk_" + Digest("stock", seller.Value, sku.Value + "\n" + key.Value));

    /// <summary>The checkout key of a buyer's <c>Idempotency-Key</c>: two buyers who pick the same key never meet.</summary>
    public static IdempotencyKey Checkout(BuyerId buyer, IdempotencyKey key) =>
        new("chk_" + Digest("checkout", buyer.Value, key.Value));

    private static string Digest(string purpose, string owner, string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{purpose}\n{owner}\n{key}"), hash);

        // 144 bits: 24 URL-safe characters, collision-free for any realistic number of keys.
        return Base64Url.EncodeToString(hash[..18]);
    }
}
