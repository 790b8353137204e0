using System.Globalization;

namespace Commerce.Payments;

/// <summary>
/// Our reference for an authorization attempt, sent to the PSP as its merchant reference: <c>{paymentId}.{attempt}</c>.
/// It lets a webhook or a status query lead back to the payment without a look-up table.
/// </summary>
public static class PaymentReference
{
    /// <summary>Formats the reference of an attempt.</summary>
    public static string Format(PaymentId paymentId, int attemptNumber) =>
        string.Create(CultureInfo.InvariantCulture, $"{paymentId.Value}.{attemptNumber}");

    /// <summary>Parses a reference made by <see cref="Format"/>.</summary>
    public static bool TryParse(string? reference, out PaymentId paymentId, out int attemptNumber)
    {
        paymentId = default;
        attemptNumber = 0;
        var dot = reference?.LastIndexOf('.') ?? -1;
        if (dot <= 0
            || !int.TryParse(reference.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out attemptNumber)
            || attemptNumber <= 0
            || !PaymentId.TryParse(reference![..dot], out paymentId))
        {
            attemptNumber = 0;
            return false;
        }

        return true;
    }
}
