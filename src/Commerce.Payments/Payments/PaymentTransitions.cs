using System.Collections.Frozen;

namespace Commerce.Payments;

/// <summary>
/// The payment state machine, in one place: which status may follow which, and which operation may start from which
/// status. Every write goes through <see cref="EnsureAllowed"/>, so no store can hold a payment that moved any other way.
/// </summary>
public static class PaymentTransitions
{
    private static readonly FrozenDictionary<PaymentStatus, PaymentStatus[]> Next = new Dictionary<PaymentStatus, PaymentStatus[]>
    {
        // from                               to
        [PaymentStatus.Created] = [PaymentStatus.Authorized, PaymentStatus.Failed, PaymentStatus.Unknown],
        [PaymentStatus.Authorized] = [PaymentStatus.PartiallyCaptured, PaymentStatus.Captured, PaymentStatus.Voided, PaymentStatus.Unknown],
        [PaymentStatus.PartiallyCaptured] = [PaymentStatus.Captured, PaymentStatus.PartiallyRefunded, PaymentStatus.Refunded, PaymentStatus.Unknown],
        [PaymentStatus.Captured] = [PaymentStatus.PartiallyRefunded, PaymentStatus.Refunded, PaymentStatus.Unknown],
        [PaymentStatus.PartiallyRefunded] = [PaymentStatus.Refunded, PaymentStatus.Unknown],
        [PaymentStatus.Unknown] =
        [
            PaymentStatus.Created, PaymentStatus.Authorized, PaymentStatus.PartiallyCaptured, PaymentStatus.Captured,
            PaymentStatus.Voided, PaymentStatus.Failed, PaymentStatus.PartiallyRefunded, PaymentStatus.Refunded,
        ],
        [PaymentStatus.Voided] = [],
        [PaymentStatus.Failed] = [],
        [PaymentStatus.Refunded] = [],
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<PaymentOperation, PaymentStatus[]> StartsFrom = new Dictionary<PaymentOperation, PaymentStatus[]>
    {
        [PaymentOperation.Authorize] = [PaymentStatus.Created],
        [PaymentOperation.Capture] = [PaymentStatus.Authorized, PaymentStatus.PartiallyCaptured],
        [PaymentOperation.Void] = [PaymentStatus.Authorized],
        [PaymentOperation.Refund] = [PaymentStatus.PartiallyCaptured, PaymentStatus.Captured, PaymentStatus.PartiallyRefunded],
    }.ToFrozenDictionary();

    /// <summary>Whether a payment may move from <paramref name="from"/> to <paramref name="to"/> (staying put is always allowed).</summary>
    public static bool IsAllowed(PaymentStatus from, PaymentStatus to) => from == to || Array.IndexOf(Next[from], to) >= 0;

    /// <summary>Whether <paramref name="operation"/> may start on a payment in <paramref name="status"/>.</summary>
    public static bool CanStart(PaymentOperation operation, PaymentStatus status) => Array.IndexOf(StartsFrom[operation], status) >= 0;

    /// <summary>Whether nothing can follow <paramref name="status"/>.</summary>
    public static bool IsTerminal(PaymentStatus status) => Next[status].Length == 0;

    /// <summary>The statuses that may follow <paramref name="status"/>.</summary>
    public static IReadOnlyList<PaymentStatus> NextOf(PaymentStatus status) => Next[status];

    internal static void EnsureAllowed(PaymentStatus from, PaymentStatus to)
    {
        if (!IsAllowed(from, to))
        {
            throw new CommerceException(new CommerceError(PaymentErrorCodes.InvalidTransition, $"A payment cannot move from {from} to {to}."));
        }
    }
}
