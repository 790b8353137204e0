using System.Collections.Concurrent;
using Commerce;

namespace Marketplace.Reservations;

/// <summary>
/// Which buyer holds which reservation. The inventory engine does not know about buyers, so the marketplace keeps
/// the owner next to it and answers 404 for anyone else's reservation, exactly as for one that does not exist (so
/// that ids cannot be probed). Kept in process memory in the sample; a real host stores it with its carts or orders.
/// </summary>
public sealed class ReservationOwners
{
    private readonly ConcurrentDictionary<ReservationId, BuyerId> _owners = new();
    private readonly ConcurrentDictionary<BuyerId, ConcurrentDictionary<ReservationId, byte>> _byBuyer = new();

    /// <summary>Records the owner of a reservation; recording the same owner again is a no-op.</summary>
    public void Record(ReservationId id, BuyerId buyer)
    {
        var owner = _owners.GetOrAdd(id, buyer);
        if (owner != buyer)
        {
            // Ids are derived from the buyer (ScopedIds), so two buyers can only meet here through a bug.
            throw new InvalidOperationException($"Reservation '{id}' already belongs to another buyer.");
        }

        _byBuyer.GetOrAdd(buyer, static _ => new()).TryAdd(id, 0);
    }

    /// <summary>Whether the buyer holds the reservation.</summary>
    public bool IsOwnedBy(ReservationId id, BuyerId buyer) => _owners.TryGetValue(id, out var owner) && owner == buyer;

    /// <summary>The buyer's reservation ids.</summary>
    public IReadOnlyCollection<ReservationId> ListFor(BuyerId buyer) =>
        _byBuyer.TryGetValue(buyer, out var ids) ? ids.Keys.ToList() : [];

    /// <summary>Forgets a reservation the engine no longer keeps (it drops finished ones after its retention window).</summary>
    public void Forget(ReservationId id)
    {
        if (_owners.TryRemove(id, out var buyer) && _byBuyer.TryGetValue(buyer, out var ids))
        {
            ids.TryRemove(id, out _);
        }
    }
}
