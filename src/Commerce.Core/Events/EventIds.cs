using System.Buffers.Binary;

namespace Commerce.Events;

/// <summary>
/// Event ids for producers on a hot path: a random 64-bit prefix drawn once per process and a 64-bit counter,
/// big-endian so that one process's ids sort in the order they were made. Unique without a random draw per event,
/// which costs microseconds where the system's random source is slow (sandboxes, some virtual machines); two
/// processes collide only if they draw the same prefix (a 1 in 2^64 chance per pair).
/// </summary>
public static class EventIds
{
    private static readonly ulong Prefix = BitConverter.ToUInt64(Guid.NewGuid().ToByteArray());
    private static long _sequence;

    /// <summary>A new, unique event id.</summary>
    public static Guid Next()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, Prefix);
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], Interlocked.Increment(ref _sequence));
        return new Guid(bytes, bigEndian: true);
    }
}
