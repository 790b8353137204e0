namespace Commerce.Payments.Reconciliation;

internal static class ReportMalformed
{
    public static CommerceValidationException At(long line, string message) =>
        new(PaymentErrorCodes.ReportMalformed, $"Settlement report line {line}: {message}", "report");
}
