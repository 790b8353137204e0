using Commerce.Payments.Reconciliation;
using static Commerce.Payments.Reconciliation.Tests.TestKit;

namespace Commerce.Payments.Reconciliation.Tests;

public sealed class PresetTests
{
    [Fact]
    public async Task Stripe_itemized_balance_report()
    {
        var csv =
            "balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,source_id,description,charge_id,payment_intent_id\r\n" +
            "txn_1,2026-11-01 10:00:00,2026-11-03 00:00:00,usd,100.00,3.20,96.80,charge,ch_1,\"Order 1, two items\",ch_1,pi_1\r\n" +
            "txn_2,2026-11-01 11:00:00,2026-11-03 00:00:00,usd,-25.00,0.00,-25.00,refund,re_1,Partial refund,ch_1,pi_1\r\n" +
            "txn_3,2026-11-01 12:00:00,2026-11-03 00:00:00,jpy,5000,150,4850,charge,ch_2,,ch_2,pi_2\r\n" +
            "txn_4,2026-11-02 00:00:00,2026-11-02 00:00:00,usd,-71.60,0.00,-71.60,payout,po_1,STRIPE PAYOUT,,\r\n" +
            "txn_5,2026-11-02 01:00:00,2026-11-04 00:00:00,usd,-20.00,0.00,-20.00,refund,re_2,,ch_1,pi_1\r\n";
        var ours = new[]
        {
            Capture("pi_1", 10000, reference: "ch_1"),
            Refund("pi_1", 2500, reference: "re_1"),
            Capture("pi_2", 5000, "JPY", "ch_2"),
            Refund("pi_1", 2000, reference: "re_2"),
        };

        var report = await RunAsync(csv, ours, SettlementReportFormat.Stripe);

        Assert.True(report.IsBalanced);
        Assert.Equal((5L, 1L, 4L), (report.ReportRecords, report.SkippedRecords, report.Matched));
    }

    [Fact]
    public async Task Adyen_settlement_details_report()
    {
        var csv =
            "Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Batch Number\n" +
            "Shop,ShopEU,8816000000000001,order-1,visa,2026-11-01 10:00:00,CET,Settled,8826000000000001,EUR,,120.00,1,EUR,,118.20,1.80,42\n" +
            "Shop,ShopEU,8816000000000001,order-1,visa,2026-11-02 10:00:00,CET,Refunded,8826000000000002,EUR,20.00,,1,EUR,20.10,,0.10,42\n" +
            "Shop,ShopEU,8816000000000003,order-3,mc,2026-11-01 11:00:00,CET,Settled,8826000000000003,KWD,,1.250,1,KWD,,1.200,0.050,42\n" +
            "Shop,ShopEU,,,,2026-11-03 04:55:40,CET,Fee,Transaction Fees,,,,,EUR,0.50,,,42\n" +
            "Shop,ShopEU,,,,2026-11-03 04:55:40,CET,MerchantPayout,\"Payout, batch 42\",,,,,EUR,97.55,,,42\n";
        var ours = new[]
        {
            Capture("8816000000000001", 12000, "EUR", "8826000000000001"),
            Refund("8816000000000001", 2000, "EUR", "8826000000000002"),
            Capture("8816000000000003", 1000, "KWD", "8826000000000003"),
        };

        var report = await RunAsync(csv, ours, SettlementReportFormat.Adyen);

        Assert.Equal((5L, 2L, 2L), (report.ReportRecords, report.SkippedRecords, report.Matched));
        var mismatch = Assert.Single(report.Discrepancies(DiscrepancyKind.AmountMismatch));
        Assert.Equal(1250, mismatch.Reported!.Amount.MinorUnits);
        Assert.Equal("2026-11-01 11:00:00", mismatch.Reported.Date);
        Assert.Equal(1, report.Count(DiscrepancyKind.AmountMismatch));
    }
}
