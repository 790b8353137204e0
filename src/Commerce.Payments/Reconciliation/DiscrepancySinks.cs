namespace Commerce.Payments.Reconciliation;

/// <summary>Where the matcher sends discrepancies.</summary>
internal interface IDiscrepancySink
{
    /// <summary>Counts one discrepancy of <paramref name="kind"/> and says whether it should be materialized and added.</summary>
    bool Count(DiscrepancyKind kind);

    void Add(ReconciliationDiscrepancy discrepancy);
}

/// <summary>Exact counts, and the first <c>cap</c> discrepancies of each kind.</summary>
internal sealed class CappedDiscrepancySink : IDiscrepancySink
{
    private readonly int _cap;
    private readonly long[] _counts = new long[DiscrepancyKinds.Count];
    private readonly List<ReconciliationDiscrepancy>[] _kept = [.. Enumerable.Range(0, DiscrepancyKinds.Count).Select(static _ => new List<ReconciliationDiscrepancy>())];

    public CappedDiscrepancySink(int cap) => _cap = cap;

    public long[] Counts => _counts;

    public IReadOnlyList<ReconciliationDiscrepancy>[] Kept => [.. _kept.Select(static k => (IReadOnlyList<ReconciliationDiscrepancy>)k.AsReadOnly())];

    public bool Count(DiscrepancyKind kind) => ++_counts[(int)kind] <= _cap;

    public void Add(ReconciliationDiscrepancy discrepancy) => _kept[(int)discrepancy.Kind].Add(discrepancy);
}

/// <summary>Every discrepancy, queued until the streaming enumerator hands it out.</summary>
internal sealed class QueueDiscrepancySink : IDiscrepancySink
{
    public Queue<ReconciliationDiscrepancy> Pending { get; } = new();

    public bool Count(DiscrepancyKind kind) => true;

    public void Add(ReconciliationDiscrepancy discrepancy) => Pending.Enqueue(discrepancy);
}
