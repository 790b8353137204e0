using Commerce.Hashing;
using Commerce.Inventory.Storage;

namespace Commerce.Inventory;

public sealed partial class InventoryService
{
    private const int MaxReasonLength = 200;

    internal ReservationCommand ValidateReservation(ReservationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireId(request.Id.IsEmpty, nameof(request.Id));
        var lines = request.Lines;
        if (lines is null || lines.Count == 0)
        {
            throw Invalid(InventoryErrorCodes.EmptyReservation, "A reservation needs at least one line.", nameof(request.Lines));
        }

        if (lines.Count > _options.MaxLinesPerReservation)
        {
            throw Invalid(InventoryErrorCodes.TooManyLines,
                $"A reservation may have at most {_options.MaxLinesPerReservation} lines; it has {lines.Count}.", nameof(request.Lines));
        }

        var ttl = request.Ttl ?? _options.DefaultReservationTtl;
        if (request.Ttl is { } requested)
        {
            ValidateTtl(requested);
        }

        var resolved = new ReservedLine[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i] ?? throw Invalid(InventoryErrorCodes.EmptyReservation, $"Line {i} is null.", nameof(request.Lines));
            RequireId(line.Sku.IsEmpty, "Sku");
            if (line.Quantity <= 0 || line.Quantity > _options.MaxQuantityPerLine)
            {
                throw Invalid(InventoryErrorCodes.InvalidQuantity,
                    $"Line {i} ({line.Sku}) asks for {line.Quantity} units; a line must ask for 1 to {_options.MaxQuantityPerLine}.", "Quantity");
            }

            var location = Resolve(line.Location);
            for (var j = 0; j < i; j++)
            {
                if (resolved[j].Sku == line.Sku && resolved[j].Location == location)
                {
                    throw Invalid(InventoryErrorCodes.DuplicateLine,
                        $"Lines {j} and {i} both name {line.Sku} at {location}; merge them into one line.", nameof(request.Lines));
                }
            }

            resolved[i] = new ReservedLine(line.Sku, location, line.Quantity);
        }

        var now = Now();
        return new ReservationCommand(request.Id, resolved, ReservationFingerprint(resolved, request.Ttl), now, ToMicroseconds(now + ttl));
    }

    private void ValidateTtl(TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero || ttl > _options.MaxReservationTtl)
        {
            throw Invalid(InventoryErrorCodes.InvalidTtl,
                $"A time-to-live must be above zero and at most {_options.MaxReservationTtl}; it was {ttl}.", "Ttl");
        }
    }

    private StockChange NewStockChange(Sku sku, LocationId? location, StockChangeKind kind, long quantity, string reason, IdempotencyKey key)
    {
        RequireId(sku.IsEmpty, nameof(sku));
        RequireId(key.IsEmpty, "IdempotencyKey");
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength)
        {
            throw Invalid(InventoryErrorCodes.InvalidReason, $"A reason of 1 to {MaxReasonLength} characters is required.", nameof(reason));
        }

        var resolved = Resolve(location);
        return new StockChange(sku, resolved, kind, quantity, reason, key, StockChangeFingerprint(kind, sku, resolved, quantity, reason), Now());
    }

    /// <summary>A 128-bit hash of a stock change's canonical form: kind, SKU, location, quantity and reason.</summary>
    internal static Guid StockChangeFingerprint(StockChangeKind kind, Sku sku, LocationId location, long quantity, string reason)
    {
        var hash = new CanonicalHash(stackalloc byte[256]);
        hash.Number((int)kind).Separator(Unit).Text(sku.Value).Separator(Unit).Text(location.Value).Separator(Unit)
            .Number(quantity).Separator(Unit).Text(reason);
        return hash.ToFingerprint();
    }

    /// <summary>
    /// A 128-bit hash of the canonical request: lines sorted by SKU and location, and the requested TTL (not the
    /// resulting deadline, which moves with the clock). Two requests that mean the same thing hash the same.
    /// </summary>
    internal static Guid ReservationFingerprint(ReservedLine[] lines, TimeSpan? ttl)
    {
        var sorted = lines.Length == 1 ? lines : lines.OrderBy(static l => l.Sku).ThenBy(static l => l.Location).ToArray();
        var hash = new CanonicalHash(stackalloc byte[256]);
        foreach (var line in sorted)
        {
            hash.Text(line.Sku.Value).Separator(Unit).Text(line.Location.Value).Separator(Unit).Number(line.Quantity).Separator(Record);
        }

        hash.Number(ttl is { } t ? t.Ticks : -1);
        return hash.ToFingerprint();
    }

    // The separators of the canonical forms (ASCII unit and record separators); the bytes hashed are those of the
    // canonical strings earlier versions built, so a fingerprint stored by them still matches.
    private const byte Unit = CanonicalHash.UnitSeparator;
    private const byte Record = CanonicalHash.RecordSeparator;
}
