using System.Buffers;
using System.Security.Cryptography;
using System.Text;
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
        var fingerprint = Fingerprint($"{(int)kind}\u001f{sku}\u001f{resolved}\u001f{quantity}\u001f{reason}");
        return new StockChange(sku, resolved, kind, quantity, reason, key, fingerprint, Now());
    }

    /// <summary>
    /// A 128-bit hash of the canonical request: lines sorted by SKU and location, and the requested TTL (not the
    /// resulting deadline, which moves with the clock). Two requests that mean the same thing hash the same.
    /// </summary>
    internal static Guid ReservationFingerprint(ReservedLine[] lines, TimeSpan? ttl)
    {
        var sorted = lines.Length == 1 ? lines : lines.OrderBy(static l => l.Sku).ThenBy(static l => l.Location).ToArray();
        var builder = new StringBuilder(32 * sorted.Length);
        foreach (var line in sorted)
        {
            builder.Append(line.Sku.Value).Append('\u001f').Append(line.Location.Value).Append('\u001f').Append(line.Quantity).Append('\u001e');
        }

        builder.Append(ttl is { } t ? t.Ticks : -1);
        return Fingerprint(builder.ToString());
    }

    private static Guid Fingerprint(string canonical)
    {
        var byteCount = Encoding.UTF8.GetMaxByteCount(canonical.Length);
        var rented = byteCount > 512 ? ArrayPool<byte>.Shared.Rent(byteCount) : null;
        try
        {
            Span<byte> buffer = rented ?? stackalloc byte[512];
            var written = Encoding.UTF8.GetBytes(canonical, buffer);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..written], hash);
            return new Guid(hash[..16]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
