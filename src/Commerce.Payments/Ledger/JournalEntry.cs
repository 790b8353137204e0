using System.Collections.Immutable;

namespace Commerce.Payments.Ledger;

/// <summary>
/// A balanced double-entry journal entry in integer minor units of one currency: the debits equal the credits.
/// Captures debit PSP clearing and credit seller payables and platform commission; refunds reverse exactly the
/// shares their capture credited.
/// </summary>
public sealed record JournalEntry
{
    /// <summary>The payment the entry belongs to.</summary>
    public required PaymentId PaymentId { get; init; }

    /// <summary>The attempt that caused it; one entry per attempt at most.</summary>
    public required int AttemptNumber { get; init; }

    /// <summary>capture or refund.</summary>
    public required string Kind { get; init; }

    /// <summary>The currency of every line.</summary>
    public required Currency Currency { get; init; }

    /// <summary>The lines; debits and credits sum to the same amount.</summary>
    public required ImmutableArray<JournalLine> Lines { get; init; }

    /// <summary>When it was booked.</summary>
    public required DateTimeOffset BookedAt { get; init; }

    /// <summary>Whether the debits equal the credits.</summary>
    public bool IsBalanced
    {
        get
        {
            long debits = 0, credits = 0;
            foreach (var line in Lines)
            {
                debits = checked(debits + line.DebitMinor);
                credits = checked(credits + line.CreditMinor);
            }

            return debits == credits;
        }
    }
}

/// <summary>One line of a journal entry: either a debit or a credit to one account.</summary>
/// <param name="Account">The account, for example <c>psp_clearing:stripe</c>, <c>seller_payable:acme</c>, <c>platform_commission</c>.</param>
/// <param name="DebitMinor">The debit, in minor units.</param>
/// <param name="CreditMinor">The credit, in minor units.</param>
public readonly record struct JournalLine(string Account, long DebitMinor, long CreditMinor);

/// <summary>The accounts the engine books to.</summary>
public static class LedgerAccounts
{
    /// <summary>Money the PSP owes us for captures, less refunds: <c>psp_clearing:{provider}</c>. Debit-normal.</summary>
    public static string PspClearing(string provider) => "psp_clearing:" + provider;

    /// <summary>What the platform owes a seller: <c>seller_payable:{seller}</c>. Credit-normal.</summary>
    public static string SellerPayable(SellerId seller) => "seller_payable:" + seller.Value;

    /// <summary>The platform's commission revenue. Credit-normal.</summary>
    public const string PlatformCommission = "platform_commission";

    /// <summary>The platform's own sales (payments without seller splits). Credit-normal.</summary>
    public const string PlatformSales = "platform_sales";
}

/// <summary>The balance of one account in one currency: debits minus credits.</summary>
/// <param name="Account">The account.</param>
/// <param name="Currency">The currency.</param>
/// <param name="DebitMinor">Total debits.</param>
/// <param name="CreditMinor">Total credits.</param>
public readonly record struct AccountBalance(string Account, Currency Currency, long DebitMinor, long CreditMinor)
{
    /// <summary>Debits minus credits.</summary>
    public long NetMinor => checked(DebitMinor - CreditMinor);
}
