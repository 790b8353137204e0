using System.Text;

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
/// <remarks>
/// The hot path works on compact, reference-free arrays: references are looked up by their UTF-8 bytes in
/// <see cref="Utf8KeyTable{TValue}"/>s, and each operation's kind, amount, currency and state sit in one 24-byte
/// <see cref="Entry"/>, stored right before the key that finds it (the reference, or for the first operation of a
/// payment, the payment's; a payment's further operations get records of their own, linked from the first), so that a
/// lookup reads one slot and one record. Our <see cref="SettledOperation"/> objects are only read back for
/// discrepancies.
/// </remarks>
internal sealed class OperationMatcher : IReportLineHandler
{
    private const int End = -1;

    /// <summary>Operations indexed together (<see cref="IndexQueued"/>): as many as report lines in a batch.</summary>
    private const int QueueSize = 32;

    private readonly IDiscrepancySink _sink;
    private readonly bool _byReference;
    private readonly Utf8KeyTable<Entry> _references;
    private readonly Utf8KeyTable<Entry> _payments;
    private readonly Dictionary<Currency, short> _currencyIds = [];
    private readonly List<Currency> _currencies = [];
    private readonly uint _hashMask;
    private readonly SettledOperation[] _queued = new SettledOperation[QueueSize];
    private readonly Insert[] _inserts = new Insert[QueueSize];
    private Utf8KeyTable<byte>? _unknownReferences;
    private SettledOperation[] _operations = new SettledOperation[256];
    private int[] _records = new int[256]; // per operation, as added: its entry's record in _references, or ~record in _payments
    private Totals[] _totals = new Totals[4];
    private byte[] _utf8 = new byte[256];
    private byte[] _queuedKeys = new byte[QueueSize * 64];
    private Lookup[] _lookups = new Lookup[32];
    private int _queuedCount;
    private int _count;
    private List<ReportedOperation>? _deferred;
    private uint _touched; // the loads issued ahead (OnOperations, IndexQueued): kept, so that they are not optimized away

    public OperationMatcher(bool byReference, IDiscrepancySink sink)
        : this(byReference, sink, uint.MaxValue)
    {
    }

    /// <summary>For tests: <paramref name="hashMask"/> keeps only some bits of the tables' hashes, so that keys collide.</summary>
    internal OperationMatcher(bool byReference, IDiscrepancySink sink, uint hashMask)
    {
        _byReference = byReference;
        _sink = sink;
        _hashMask = hashMask;
        _references = new Utf8KeyTable<Entry>(256, hashMask);
        _payments = new Utf8KeyTable<Entry>(256, hashMask);
    }

    public long OurOperations { get; private set; }

    public long Matched { get; private set; }

    /// <summary>Queues one of our operations; it is indexed with the next batch (see <see cref="IndexQueued"/>).</summary>
    public void Add(SettledOperation operation)
    {
        OurOperations++;
        if (operation is null || string.IsNullOrEmpty(operation.PspReference) || operation.Amount.Currency == default
            || operation.Kind is not (SettlementKind.Capture or SettlementKind.Refund))
        {
            IndexQueued();
            throw new CommerceValidationException(
                PaymentErrorCodes.InvalidRequest,
                $"Our operation #{OurOperations} needs a PSP reference, a kind and an amount with a currency.",
                "ours");
        }

        _queued[_queuedCount++] = operation;
        if (_queuedCount == _queued.Length)
        {
            IndexQueued();
        }
    }

    /// <summary>
    /// Indexes the operations <see cref="Add"/> has queued, in order. Inserting into a table of a million keys misses
    /// the cache on every slot, and one at a time, with the caller's enumeration between inserts, the misses add up;
    /// so operations are queued by <see cref="QueueSize"/>, their keys encoded and hashed, all their slots loaded in a
    /// loop that does little else (see <see cref="OnOperations"/>), and only then inserted. Matching and
    /// <see cref="Finish"/> index what is still queued first; the streaming API calls this after every
    /// <see cref="Add"/>, so that a duplicate on our side is yielded as soon as it is read.
    /// </summary>
    public void IndexQueued()
    {
        var count = _queuedCount;
        if (count == 0)
        {
            return;
        }

        _queuedCount = 0;
        var inserts = _inserts.AsSpan(0, count);

        // The operation references' strings first, in a loop of their own so that their cache misses overlap (Add read
        // the operations and their payment references, not these).
        uint touched = 0;
        if (_byReference)
        {
            for (var i = 0; i < count; i++)
            {
                touched += (uint)(_queued[i].OperationReference?.Length ?? 0);
            }
        }

        var used = 0;
        for (var i = 0; i < count; i++)
        {
            var operation = _queued[i];
            var byReference = _byReference && !string.IsNullOrEmpty(operation.OperationReference);
            var text = byReference ? operation.OperationReference! : operation.PspReference;
            var max = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (_queuedKeys.Length - used < max)
            {
                Array.Resize(ref _queuedKeys, Math.Max(used + max, _queuedKeys.Length * 2));
            }

            var length = Encoding.UTF8.GetBytes(text, _queuedKeys.AsSpan(used));
            var key = _queuedKeys.AsSpan(used, length);
            inserts[i] = new Insert { Start = used, Length = length, ByReference = byReference, Hash = byReference ? _references.Hash(key) : _payments.Hash(key) };
            used += length;
        }

        foreach (ref readonly var insert in inserts)
        {
            touched += insert.ByReference ? _references.TouchSlot(insert.Hash) : _payments.TouchSlot(insert.Hash);
        }

        _touched = touched;
        for (var i = 0; i < count; i++)
        {
            ref readonly var insert = ref inserts[i];
            Index(_queued[i], _queuedKeys.AsSpan(insert.Start, insert.Length), insert.ByReference, insert.Hash);
            _queued[i] = null!;
        }
    }

    private void Index(SettledOperation operation, ReadOnlySpan<byte> key, bool byReference, uint hash)
    {
        if (byReference)
        {
            var record = _references.GetOrAdd(key, hash, out var exists);
            if (exists)
            {
                if (_sink.Count(DiscrepancyKind.DuplicateOnOurSide))
                {
                    _sink.Add(new ReconciliationDiscrepancy(DiscrepancyKind.DuplicateOnOurSide, operation, null));
                }

                return;
            }

            _references[record] = NewEntry(operation, last: End);
            Store(operation, record);
            return;
        }

        var first = _payments.GetOrAdd(key, hash, out var known);
        if (!known)
        {
            _payments[first] = NewEntry(operation, last: first);
            Store(operation, ~first);
            return;
        }

        var next = _payments.Append(NewEntry(operation, last: End));
        ref var head = ref _payments[first]; // taken after Append, which may move the records
        _payments[head.Last].Next = next;
        head.Last = next;
        Store(operation, ~next);
    }

    /// <summary>
    /// Matches a batch of lines, in order. Against a million operations the tables are far larger than the caches, and
    /// a lookup is a chain of two cache misses (the slot, then the record holding the entry and the key). Matching the
    /// lines one by one, the parsing between lookups keeps the processor from running ahead to the next line's loads,
    /// so the misses add up. Here every step's loads are issued for the whole batch, each step in a loop that does
    /// little else, so that many misses are in flight at once; the lines are then matched in order from the cache. The
    /// loads are plain reads (a prefetch instruction needs unsafe code), and only hints: the matching itself does not
    /// depend on them.
    /// </summary>
    public void OnOperations(in ReportLineBatch lines)
    {
        IndexQueued();
        var count = lines.Count;
        if (_lookups.Length < count)
        {
            _lookups = new Lookup[count];
        }

        var lookups = _lookups.AsSpan(0, count);
        for (var i = 0; i < count; i++)
        {
            var line = lines[i];
            var byReference = ByReference(line);
            lookups[i] = new Lookup
            {
                ByReference = byReference,
                Hash = byReference ? _references.Hash(line.OperationReference) : _payments.Hash(line.PspReference),
            };
        }

        uint touched = 0;
        foreach (ref readonly var lookup in lookups)
        {
            touched += lookup.ByReference ? _references.TouchSlot(lookup.Hash) : _payments.TouchSlot(lookup.Hash);
        }

        foreach (ref var lookup in lookups)
        {
            (lookup.ByReference ? _references : _payments).TryPeek(lookup.Hash, out lookup.Record);
        }

        foreach (ref readonly var lookup in lookups)
        {
            if (lookup.Record >= 0)
            {
                touched += (lookup.ByReference ? _references : _payments).TouchRecord(lookup.Record);
            }
        }

        _touched = touched;
        for (var i = 0; i < count; i++)
        {
            OnOperation(lines[i], lookups[i].Hash);
        }
    }

    private bool ByReference(in ReportLine line) => _byReference && !line.OperationReference.IsEmpty;

    private void OnOperation(in ReportLine line, uint hash)
    {
        var currency = CurrencyId(line.Currency);
        if (ByReference(line))
        {
            if (_references.TryFind(line.OperationReference, hash, out var record) && _references[record].Kind == line.Kind)
            {
                ref var entry = ref _references[record];
                if (entry.Closed)
                {
                    Report(DiscrepancyKind.DuplicateInReport, null, line);
                    return;
                }

                entry.Closed = true;
                if (entry.Currency != currency)
                {
                    Report(DiscrepancyKind.CurrencyMismatch, _operations[entry.Operation], line);
                }
                else if (entry.Minor != line.AmountMinor)
                {
                    Report(DiscrepancyKind.AmountMismatch, _operations[entry.Operation], line);
                }
                else
                {
                    AddMatched(entry);
                }

                return;
            }

            // A reference we do not hold: a repeat of one seen before is a duplicate; otherwise it may still be one of
            // our operations recorded without its reference.
            _unknownReferences ??= new Utf8KeyTable<byte>(256, _hashMask);
            _unknownReferences.GetOrAdd(line.OperationReference, out var seen);
            if (seen)
            {
                Report(DiscrepancyKind.DuplicateInReport, null, line);
                return;
            }

            hash = _payments.Hash(line.PspReference);
        }

        MatchByPayment(line, currency, hash);
    }

    /// <summary>Pairs the lines kept aside, then reports every operation of ours the report did not settle.</summary>
    public void Finish()
    {
        IndexQueued();
        if (_deferred is { } deferred)
        {
            // Most telling evidence first: the same amount in another currency, then the closest amount in the same
            // currency, then anything still open.
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
            var at = _records[i];
            var closed = at >= 0 ? _references[at].Closed : _payments[~at].Closed;
            if (!closed && _sink.Count(DiscrepancyKind.MissingAtPsp))
            {
                _sink.Add(new ReconciliationDiscrepancy(DiscrepancyKind.MissingAtPsp, _operations[i], null));
            }
        }
    }

    public IReadOnlyList<MatchedTotal> MatchedTotals() =>
        [.. _currencies
            .Select((currency, id) => (Currency: currency, Totals: _totals[id]))
            .Where(static t => t.Totals.Captures + t.Totals.Refunds > 0)
            .OrderBy(static t => t.Currency.Code, StringComparer.Ordinal)
            .Select(static t => new MatchedTotal(
                t.Currency, t.Totals.Captures, new Money(t.Totals.Captured, t.Currency), t.Totals.Refunds, new Money(t.Totals.Refunded, t.Currency)))];

    private void MatchByPayment(in ReportLine line, short currency, uint hash)
    {
        if (line.PspReference.IsEmpty || !_payments.TryFind(line.PspReference, hash, out var first))
        {
            Report(DiscrepancyKind.MissingOnOurSide, null, line);
            return;
        }

        var openSameKind = false;
        var closedExact = false;
        for (var i = first; i != End; i = _payments[i].Next)
        {
            ref var entry = ref _payments[i];
            if (entry.Kind != line.Kind)
            {
                continue;
            }

            var exact = entry.Minor == line.AmountMinor && entry.Currency == currency;
            if (!entry.Closed)
            {
                if (exact)
                {
                    entry.Closed = true;
                    AddMatched(entry);
                    return;
                }

                openSameKind = true;
            }
            else
            {
                closedExact |= exact;
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
        var currency = CurrencyId(reported.Amount.Currency);
        var minor = reported.Amount.MinorUnits;
        var pick = End;
        var distance = ulong.MaxValue;
        for (var i = FirstOf(reported); i != End; i = _payments[i].Next)
        {
            var entry = _payments[i];
            if (entry.Closed || entry.Kind != reported.Kind)
            {
                continue;
            }

            if (pairing == Pairing.SameCurrency)
            {
                var d = entry.Currency == currency ? Distance(entry.Minor, minor) : ulong.MaxValue;
                if (d < distance)
                {
                    (pick, distance) = (i, d);
                }
            }
            else if (pairing == Pairing.Any || (entry.Currency != currency && entry.Minor == minor))
            {
                pick = i;
                break;
            }
        }

        if (pick == End)
        {
            return false;
        }

        ref var picked = ref _payments[pick];
        picked.Closed = true;
        var kind = pairing == Pairing.SameCurrency ? DiscrepancyKind.AmountMismatch : DiscrepancyKind.CurrencyMismatch;
        if (_sink.Count(kind))
        {
            _sink.Add(new ReconciliationDiscrepancy(kind, _operations[picked.Operation], reported));
        }

        return true;

        static ulong Distance(long a, long b) => unchecked(a >= b ? (ulong)(a - b) : (ulong)(b - a));
    }

    private bool HasClosedExact(ReportedOperation reported)
    {
        var currency = CurrencyId(reported.Amount.Currency);
        for (var i = FirstOf(reported); i != End; i = _payments[i].Next)
        {
            var entry = _payments[i];
            if (entry.Closed && entry.Kind == reported.Kind && entry.Currency == currency && entry.Minor == reported.Amount.MinorUnits)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first operation of the payment of a line kept aside (it was kept because the payment has one).</summary>
    private int FirstOf(ReportedOperation reported) =>
        _payments.TryFind(Utf8(reported.PspReference), out var first) ? first : End;

    private void Report(DiscrepancyKind kind, SettledOperation? ours, in ReportLine line)
    {
        if (_sink.Count(kind))
        {
            _sink.Add(new ReconciliationDiscrepancy(kind, ours, line.Materialize()));
        }
    }

    private void AddMatched(in Entry entry)
    {
        Matched++;
        ref var totals = ref _totals[entry.Currency];
        try
        {
            if (entry.Kind == SettlementKind.Capture)
            {
                totals.Captures++;
                totals.Captured = checked(totals.Captured + entry.Minor);
            }
            else
            {
                totals.Refunds++;
                totals.Refunded = checked(totals.Refunded + entry.Minor);
            }
        }
        catch (OverflowException)
        {
            throw new CommerceValidationException(CoreErrorCodes.AmountOverflow, "The matched total does not fit in 64-bit minor units.");
        }
    }

    private Entry NewEntry(SettledOperation operation, int last) => new()
    {
        Minor = operation.Amount.MinorUnits,
        Operation = _count,
        Next = End,
        Last = last,
        Currency = CurrencyId(operation.Amount.Currency),
        Kind = operation.Kind,
    };

    private void Store(SettledOperation operation, int entry)
    {
        if (_count == _operations.Length)
        {
            Array.Resize(ref _operations, _count * 2);
            Array.Resize(ref _records, _count * 2);
        }

        _operations[_count] = operation;
        _records[_count] = entry;
        _count++;
    }

    private short CurrencyId(Currency currency)
    {
        // A run sees few currencies, and equal currencies share their code string (Currency's table): scanning the
        // first few by reference is cheaper than hashing the code. The dictionary has the last word.
        var code = currency.Code;
        var scan = Math.Min(_currencies.Count, 8);
        for (var i = 0; i < scan; i++)
        {
            if (ReferenceEquals(_currencies[i].Code, code))
            {
                return (short)i;
            }
        }

        if (!_currencyIds.TryGetValue(currency, out var id))
        {
            id = (short)_currencies.Count;
            _currencies.Add(currency);
            _currencyIds.Add(currency, id);
            if (id == _totals.Length)
            {
                Array.Resize(ref _totals, _totals.Length * 2);
            }
        }

        return id;
    }

    /// <summary>The UTF-8 form of one of our references, in a reused buffer (valid until the next call).</summary>
    private ReadOnlySpan<byte> Utf8(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_utf8.Length < max)
        {
            _utf8 = new byte[max];
        }

        return _utf8.AsSpan(0, Encoding.UTF8.GetBytes(text, _utf8));
    }

    private enum Pairing
    {
        SameAmount,
        SameCurrency,
        Any,
    }

    /// <summary>One of our operations, as the hot path needs it: 24 bytes, no references.</summary>
    private struct Entry
    {
        public long Minor;

        /// <summary>The operation's index in <see cref="_operations"/>.</summary>
        public int Operation;

        /// <summary>In a payment's chain, the record of its next operation, or <see cref="End"/>.</summary>
        public int Next;

        /// <summary>In a payment's first operation, the record of the payment's last.</summary>
        public int Last;

        public short Currency;
        public bool Closed;
        private byte _kind;

        public SettlementKind Kind { readonly get => (SettlementKind)_kind; set => _kind = (byte)value; }
    }

    /// <summary>A line's lookup in a batch, as <see cref="OnOperations"/> prepares it.</summary>
    private struct Lookup
    {
        public uint Hash;
        public int Record;
        public bool ByReference;
    }

    /// <summary>A queued operation's key, as <see cref="IndexQueued"/> prepares it.</summary>
    private struct Insert
    {
        public int Start;
        public int Length;
        public uint Hash;
        public bool ByReference;
    }

    private struct Totals
    {
        public long Captures;
        public long Captured;
        public long Refunds;
        public long Refunded;
    }
}
