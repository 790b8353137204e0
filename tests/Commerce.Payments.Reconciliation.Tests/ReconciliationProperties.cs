using System.Globalization;
using System.Text;
using Commerce.Payments.Reconciliation;
using FsCheck;
using FsCheck.Fluent;
using static Commerce.Payments.Reconciliation.Tests.TestKit;

namespace Commerce.Payments.Reconciliation.Tests;

/// <summary>
/// Random sets of our operations and the report that settles them, with discrepancies injected at random: the report
/// must find exactly the injected ones, with the right operations and lines, whatever the order of either side and
/// however the report's bytes are cut into pipe segments.
/// </summary>
public sealed class ReconciliationProperties
{
    private static readonly string[] Currencies = ["USD", "JPY", "KWD"];

    private enum Mode
    {
        /// <summary>The report has operation references and we hold every one.</summary>
        ByReference,

        /// <summary>The report has no reference column: multiset matching per payment.</summary>
        ByPayment,

        /// <summary>The report has references; we hold them for even payments only.</summary>
        Mixed,
    }

    private enum Injection
    {
        None,
        DropFromReport,
        DropFromOurs,
        WrongAmount,
        WrongCurrency,
        DuplicateInReport,
        DuplicateOnOurSide,
    }

    private sealed record OperationSpec(int Payment, SettlementKind Kind, long Amount, int Currency, Injection Injection);

    /// <param name="HashMask">The lookup tables' hash bits kept: fewer make references collide, which must not show.</param>
    private sealed record Scenario(Mode Mode, OperationSpec[] Operations, int Seed, int SegmentSize, bool MajorUnits, uint HashMask);

    [Fact]
    public void The_report_finds_exactly_the_injected_discrepancies()
    {
        var property = Prop.ForAll(Arb.From(ScenarioGen()), scenario => Check(scenario));

        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    private static Gen<Scenario> ScenarioGen()
    {
        var injection = Gen.Frequency(
            (12, Gen.Constant(Injection.None)),
            (1, Gen.Constant(Injection.DropFromReport)),
            (1, Gen.Constant(Injection.DropFromOurs)),
            (1, Gen.Constant(Injection.WrongAmount)),
            (1, Gen.Constant(Injection.WrongCurrency)),
            (1, Gen.Constant(Injection.DuplicateInReport)),
            (1, Gen.Constant(Injection.DuplicateOnOurSide)));
        var operation =
            from payment in Gen.Choose(0, 5)
            from kind in Gen.Elements(SettlementKind.Capture, SettlementKind.Refund)
            from amount in Gen.Elements(100L, 250L, 999L, 1000L, 0L)
            from currency in Gen.Choose(0, Currencies.Length - 1)
            from inject in injection
            select new OperationSpec(payment, kind, amount, currency, inject);
        return from mode in Gen.Elements(Mode.ByReference, Mode.ByPayment, Mode.Mixed)
               from operations in Gen.ListOf(operation, 40).Select(o => o.ToArray())
               from seed in Gen.Choose(0, int.MaxValue)
               from segment in Gen.Elements(1, 3, 17, 4096)
               from major in Gen.Elements(true, false)
               from hashMask in Gen.Elements(uint.MaxValue, uint.MaxValue, 0x3u, 0u)
               select new Scenario(mode, operations, seed, segment, major, hashMask);
    }

    private static bool HasReference(Mode mode, int payment) => mode == Mode.ByReference || (mode == Mode.Mixed && payment % 2 == 0);

    /// <summary>
    /// Without references, identical lines of one payment cannot be told apart, so a payment-and-kind group gets at most
    /// one injection, and a dropped or duplicated operation must be the only one of its amount in its group.
    /// </summary>
    private static OperationSpec[] MakeUnambiguous(Scenario scenario)
    {
        var result = scenario.Operations.ToArray();
        foreach (var group in result.Select((op, i) => (op, i)).Where(x => !HasReference(scenario.Mode, x.op.Payment)).GroupBy(x => (x.op.Payment, x.op.Kind)))
        {
            var injected = false;
            foreach (var (op, i) in group)
            {
                var unique = group.Count(x => x.op.Amount == op.Amount && x.op.Currency == op.Currency) == 1;
                var allowed = op.Injection switch
                {
                    Injection.None => true,
                    Injection.DuplicateOnOurSide => false,
                    Injection.DropFromOurs or Injection.DuplicateInReport => !injected && unique,
                    _ => !injected,
                };
                if (!allowed)
                {
                    result[i] = op with { Injection = Injection.None };
                }

                injected |= result[i].Injection != Injection.None;
            }
        }

        return result;
    }

    private static bool Check(Scenario scenario)
    {
        var random = new Random(scenario.Seed);
        var operations = MakeUnambiguous(scenario);
        var ours = new List<SettledOperation>();
        var lines = new List<(string Psp, string Reference, SettlementKind Kind, long Amount, string Currency)>();
        var expected = new List<string>();
        var matched = new Dictionary<string, long>();
        for (var i = 0; i < operations.Length; i++)
        {
            var spec = operations[i];
            var psp = $"pay_{spec.Payment}";
            var reference = $"op_{i}";
            var currency = Currencies[spec.Currency];
            var settled = new SettledOperation(psp, spec.Kind, Money.FromMinorUnits(spec.Amount, currency), HasReference(scenario.Mode, spec.Payment) ? reference : null);
            (string Psp, string Reference, SettlementKind Kind, long Amount, string Currency) line = (psp, reference, spec.Kind, spec.Amount, currency);
            switch (spec.Injection)
            {
                case Injection.None:
                    ours.Add(settled);
                    lines.Add(line);
                    matched[currency] = matched.GetValueOrDefault(currency) + 1;
                    break;
                case Injection.DropFromReport:
                    ours.Add(settled);
                    expected.Add(Key(DiscrepancyKind.MissingAtPsp, settled, null));
                    break;
                case Injection.DropFromOurs:
                    lines.Add(line);
                    expected.Add(Key(DiscrepancyKind.MissingOnOurSide, null, line));
                    break;
                case Injection.WrongAmount:
                    ours.Add(settled);
                    var wrongAmount = line with { Amount = spec.Amount + 1 + random.Next(50) };
                    lines.Add(wrongAmount);
                    expected.Add(Key(DiscrepancyKind.AmountMismatch, settled, wrongAmount));
                    break;
                case Injection.WrongCurrency:
                    ours.Add(settled);
                    var wrongCurrency = line with { Currency = Currencies[(spec.Currency + 1 + random.Next(2)) % Currencies.Length] };
                    lines.Add(wrongCurrency);
                    expected.Add(Key(DiscrepancyKind.CurrencyMismatch, settled, wrongCurrency));
                    break;
                case Injection.DuplicateInReport:
                    ours.Add(settled);
                    lines.Add(line);
                    lines.Add(line);
                    matched[currency] = matched.GetValueOrDefault(currency) + 1;
                    expected.Add(Key(DiscrepancyKind.DuplicateInReport, null, line));
                    break;
                case Injection.DuplicateOnOurSide:
                    ours.Add(settled);
                    ours.Add(settled);
                    lines.Add(line);
                    matched[currency] = matched.GetValueOrDefault(currency) + 1;
                    expected.Add(Key(DiscrepancyKind.DuplicateOnOurSide, settled, null));
                    break;
            }
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ours));
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lines));
        var csv = new StringBuilder(scenario.Mode == Mode.ByPayment ? "psp,type,amount,currency,date\r\n" : Header.Replace("\n", "\r\n", StringComparison.Ordinal));
        foreach (var line in lines)
        {
            var exponent = Currency.FromCode(line.Currency).Exponent;
            var amount = scenario.MajorUnits
                ? Money.FromMinorUnits(line.Amount, line.Currency).ToDecimal().ToString("F" + exponent, CultureInfo.InvariantCulture)
                : line.Amount.ToString(CultureInfo.InvariantCulture);
            var type = line.Kind == SettlementKind.Capture ? "capture" : "\"refund\"";
            csv.Append(scenario.Mode == Mode.ByPayment
                ? $"{line.Psp},{type},{amount},{line.Currency},\r\n"
                : $"{line.Psp},{line.Reference},{type},{amount},{line.Currency},\r\n");
        }

        var format = Generic(byReference: scenario.Mode != Mode.ByPayment, scenario.MajorUnits ? ReportAmountFormat.MajorUnits : ReportAmountFormat.MinorUnits);
        var reconciler = new SettlementReconciler(format, new ReconciliationOptions { MaxDiscrepanciesPerKind = int.MaxValue }) { HashMask = scenario.HashMask };
        var report = reconciler
            .ReconcileAsync(Async(ours), Segmented(Encoding.UTF8.GetBytes(csv.ToString()), scenario.SegmentSize))
            .GetAwaiter().GetResult();

        var actual = Enum.GetValues<DiscrepancyKind>()
            .SelectMany(kind => report.Discrepancies(kind))
            .Select(d => Key(d.Kind, d.Ours, d.Reported is { } r ? (r.PspReference, r.OperationReference ?? "", r.Kind, r.Amount.MinorUnits, r.Amount.Currency.Code) : null))
            .Order(StringComparer.Ordinal)
            .ToList();
        expected.Sort(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
        Assert.Equal(matched.Values.Sum(), report.Matched);
        Assert.Equal(matched.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (m.Key, m.Value)), report.MatchedTotals.Select(t => (t.Currency.Code, t.Captures + t.Refunds)));
        Assert.Equal(expected.Count == 0, report.IsBalanced);
        return true;

        string Key(DiscrepancyKind kind, SettledOperation? ours, (string Psp, string Reference, SettlementKind Kind, long Amount, string Currency)? line) =>
            $"{kind} | {ours} | {(line is { } l ? $"{l.Psp} {(KeepsReference(l.Psp) ? l.Reference : "")} {l.Kind} {l.Amount} {l.Currency}" : "-")}";

        // Where we hold no references, lines are matched by content: which of two identical lines pairs with which
        // operation is not determined, so the reference is left out of the comparison.
        bool KeepsReference(string psp) => HasReference(scenario.Mode, int.Parse(psp.AsSpan(4), CultureInfo.InvariantCulture));
    }
}
