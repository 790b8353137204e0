using System.Runtime.InteropServices;
using System.Text.Unicode;

namespace Commerce.Payments.Reconciliation;

/// <summary>
/// Holds our operations and matches report lines against them one-to-one. Operations with an operation reference (when
/// the report has that column) are keyed by it; the others are chained per payment and matched by kind, currency and
/// amount, which pairs several partial captures or refunds of one payment with as many report lines. A line that has
/// no exact match but shares payment and kind with an open operation is kept aside and paired at the end, once every
/// exact match has been made: first with an open operation of the same amount in another currency (a currency
/// mismatch), then with the open operation of the closest amount in the same currency (an amount mismatch), then with
/// any open operation (a currency mismatch).
/// </summary>
internal sealed class OperationMatcher : IReportLineHandler
{
    private const byte Open = 0;
    private const byte Closed = 1;

    private readonly IDiscrepancySink _sink;
    private readonly bool _byReference;
    private readonly Dictionary<string, int> _references = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _referenceLookup;
    private readonly Dictionary<string, Chain> _payments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Chain>.AlternateLookup<ReadOnlySpan<char>> _paymentLookup;
    private readonly Dictionary<Currency, Totals> _totals = [];
    private SettledOperation[] _operations = new SettledOperation[256];
    private byte[] _states = new byte[256];
    private int[] _next = new int[256];
    private int _count;
    private char[] _chars = new char[128];
    private HashSet<string>? _unknownReferences;
    private List<ReportedOperation>? _deferred;

    public OperationMatcher(bool byReference, IDiscrepancySink sink)
    {
        _byReference = byReference;
        _sink = sink;
        _referenceLookup = _references.GetAlternateLookup<ReadOnlySpan<char>>();
        _paymentLookup = _payments.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public long OurOperations { get; private set; }

    public long Matched { get; private set; }

    public void Add(SettledOperation operation)
    {
        OurOperations++;
        if (operation is null || string.IsNullOrEmpty(operation.PspReference) || operation.Amount.Currency == default
            || !Enum.IsDefined(operation.Kind))
        {
            throw new CommerceValidationException(
                PaymentErrorCodes.InvalidRequest,
                $"Our operation #{OurOperations} needs a PSP reference, a kind and an amount with a currency.",
                "ours");
        }

        var index = _count;
        if (_byReference && !string.IsNullOrEmpty(operation.OperationReference))
        {
            if (!_references.TryAdd(operation.OperationReference, index))
            {
                if (_sink.Count(DiscrepancyKind.DuplicateOnOurSide))
                {
                    _sink.Add(new ReconciliationDiscrepancy(DiscrepancyKind.DuplicateOnOurSide, operation, null));
                }

                return;
            }

            Store(operation, index);
            return;
        }

        Store(operation, index);
        ref var chain = ref CollectionsMarshal.GetValueRefOrAddDefault(_payments, operation.PspReference, out var exists);
        if (exists)
        {
            _next[chain.Tail] = index;
            chain.Tail = index;
        }
        else
        {
            chain = new Chain { Head = index, Tail = index };
        }
    }

    public void OnOperation(in ReportLine line)
    {
        if (_byReference && !line.OperationReference.IsEmpty)
        {
            var reference = Chars(line.OperationReference);
            if (_referenceLookup.TryGetValue(reference, out var index) && _operations[index].Kind == line.Kind)
            {
                if (_states[index] == Closed)
                {
                    Report(DiscrepancyKind.DuplicateInReport, null, line);
                    return;
                }

                _states[index] = Closed;
                var ours = _operations[index];
                if (ours.Amount.Currency != line.Currency)
                {
                    Report(DiscrepancyKind.CurrencyMismatch, ours, line);
                }
                else if (ours.Amount.MinorUnits != line.AmountMinor)
                {
                    Report(DiscrepancyKind.AmountMismatch, ours, line);
                }
                else
                {
                    AddMatched(ours);
                }

                return;
            }

            // A reference we do not hold: a repeat of one seen before is a duplicate; otherwise it may still be one of
            // our operations recorded without its reference.
            _unknownReferences ??= new HashSet<string>(StringComparer.Ordinal);
            if (!_unknownReferences.Add(new string(reference)))
            {
                Report(DiscrepancyKind.DuplicateInReport, null, line);
                return;
            }
        }

        MatchByPayment(line);
    }

    /// <summary>Pairs the lines kept aside, then reports every operation of ours the report did not settle.</summary>
    public void Finish()
    {
        if (_deferred is { } deferred)
        {
            // Lines without an exact match, paired with what is still open in their payment, most telling evidence
            // first: the same amount in another currency, then the closest amount in the same currency, then anything.
            deferred.RemoveAll(reported => TryPair(reported, Pairing.SameAmount));
            deferred.RemoveAll(reported => TryPair(reported, Pairing.SameCurrency));
            deferred.RemoveAll(reported => TryPair(reported, Pairing.Any));
            foreach (var reported in deferred)
            {
                var kind = HasClosedExact(reported) ? DiscrepancyKind.DuplicateInReport : DiscrepancyKind.MissingOnOurSide;
                if (_sink.Count(kind))
                {
                    _sink.Add(new ReconciliationDiscrepancy(kind, null, reported));
                }
            }

            _deferred = null;
        }

        for (var i = 0; i < _count; i++)
        {
            if (_states[i] == Open && _sink.Count(DiscrepancyKind.MissingAtPsp))
            {
                _sink.Add(new ReconciliationDiscrepancy(DiscrepancyKind.MissingAtPsp, _operations[i], null));
            }
        }
    }

    public IReadOnlyList<MatchedTotal> MatchedTotals() =>
        [.. _totals
            .OrderBy(static t => t.Key.Code, StringComparer.Ordinal)
            .Select(static t => new MatchedTotal(t.Key, t.Value.Captures, new Money(t.Value.Captured, t.Key), t.Value.Refunds, new Money(t.Value.Refunded, t.Key)))];

    private void MatchByPayment(in ReportLine line)
    {
        if (line.PspReference.IsEmpty || !_paymentLookup.TryGetValue(Chars(line.PspReference), out var chain))
        {
            Report(DiscrepancyKind.MissingOnOurSide, null, line);
            return;
        }

        var openSameKind = false;
        var closedExact = false;
        for (var i = chain.Head; ; i = _next[i])
        {
            var ours = _operations[i];
            if (ours.Kind == line.Kind)
            {
                var exact = ours.Amount.MinorUnits == line.AmountMinor && ours.Amount.Currency == line.Currency;
                if (_states[i] == Open)
                {
                    if (exact)
                    {
                        _states[i] = Closed;
                        AddMatched(ours);
                        return;
                    }

                    openSameKind = true;
                }
                else
                {
                    closedExact |= exact;
                }
            }

            if (i == chain.Tail)
            {
                break;
            }
        }

        if (openSameKind)
        {
            // Maybe a mismatch, maybe an exact match for a later line takes that operation: decide at the end.
            (_deferred ??= []).Add(line.Materialize());
            return;
        }

        Report(closedExact ? DiscrepancyKind.DuplicateInReport : DiscrepancyKind.MissingOnOurSide, null, line);
    }

    private bool TryPair(ReportedOperation reported, Pairing pairing)
    {
        var chain = _payments[reported.PspReference];
        var pick = -1;
        var distance = ulong.MaxValue;
        for (var i = chain.Head; ; i = _next[i])
        {
            var ours = _operations[i];
            if (_states[i] == Open && ours.Kind == reported.Kind)
            {
                var sameCurrency = ours.Amount.Currency == reported.Amount.Currency;
                switch (pairing)
                {
                    case Pairing.SameAmount when !sameCurrency && ours.Amount.MinorUnits == reported.Amount.MinorUnits:
                    case Pairing.Any:
                        pick = i;
                        break;
                    case Pairing.SameCurrency when sameCurrency:
                        var d = Distance(ours.Amount.MinorUnits, reported.Amount.MinorUnits);
                        if (d < distance)
                        {
                            (pick, distance) = (i, d);
                        }

                        break;
                }

                if (pick >= 0 && pairing != Pairing.SameCurrency)
                {
                    break;
                }
            }

            if (i == chain.Tail)
            {
                break;
            }
        }

        if (pick < 0)
        {
            return false;
        }

        _states[pick] = Closed;
        var kind = pairing == Pairing.SameCurrency ? DiscrepancyKind.AmountMismatch : DiscrepancyKind.CurrencyMismatch;
        if (_sink.Count(kind))
        {
            _sink.Add(new ReconciliationDiscrepancy(kind, _operations[pick], reported));
        }

        return true;

        static ulong Distance(long a, long b) => unchecked(a >= b ? (ulong)(a - b) : (ulong)(b - a));
    }

    private bool HasClosedExact(ReportedOperation reported)
    {
        var chain = _payments[reported.PspReference];
        for (var i = chain.Head; ; i = _next[i])
        {
            var ours = _operations[i];
            if (_states[i] == Closed && ours.Kind == reported.Kind && ours.Amount == reported.Amount)
            {
                return true;
            }

            if (i == chain.Tail)
            {
                return false;
            }
        }
    }

    private void Report(DiscrepancyKind kind, SettledOperation? ours, in ReportLine line)
    {
        if (_sink.Count(kind))
        {
            _sink.Add(new ReconciliationDiscrepancy(kind, ours, line.Materialize()));
        }
    }

    private void AddMatched(SettledOperation ours)
    {
        Matched++;
        ref var totals = ref CollectionsMarshal.GetValueRefOrAddDefault(_totals, ours.Amount.Currency, out _);

        if (ours.Kind == SettlementKind.Capture)
        {
            totals.Captures++;
            totals.Captured = checked(totals.Captured + ours.Amount.MinorUnits);
        }
        else
        {
            totals.Refunds++;
            totals.Refunded = checked(totals.Refunded + ours.Amount.MinorUnits);
        }
    }

    private void Store(SettledOperation operation, int index)
    {
        if (index == _operations.Length)
        {
            var size = index * 2;
            Array.Resize(ref _operations, size);
            Array.Resize(ref _states, size);
            Array.Resize(ref _next, size);
        }

        _operations[index] = operation;
        _count++;
    }

    /// <summary>The UTF-16 form of a UTF-8 reference, in a reused buffer (valid until the next call).</summary>
    private ReadOnlySpan<char> Chars(ReadOnlySpan<byte> utf8)
    {
        if (_chars.Length < utf8.Length)
        {
            _chars = new char[Math.Max(utf8.Length, _chars.Length * 2)];
        }

        Utf8.ToUtf16(utf8, _chars, out _, out var written);
        return _chars.AsSpan(0, written);
    }

    private enum Pairing
    {
        SameAmount,
        SameCurrency,
        Any,
    }

    private struct Chain
    {
        public int Head;
        public int Tail;
    }

    private struct Totals
    {
        public long Captures;
        public long Captured;
        public long Refunds;
        public long Refunded;
    }
}
