using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Marketplace.Diagnostics;

/// <summary>
/// The host's own metrics and traces, through System.Diagnostics under the name <c>Marketplace</c>, with
/// OpenTelemetry-style names (dotted, lower case, units in UCUM). ASP.NET Core adds <c>http.server.*</c> and the
/// engine packages their own meters (<c>Commerce.Inventory</c>, <c>Commerce.Ordering</c>, <c>Commerce.Payments</c>):
/// an OpenTelemetry exporter subscribes with <c>AddMeter("Marketplace", "Commerce.*")</c> and
/// <c>AddSource("Marketplace")</c>.
/// </summary>
public sealed class MarketplaceTelemetry : IDisposable
{
    /// <summary>The meter and activity source name.</summary>
    public const string Name = "Marketplace";

    /// <summary>Spans for checkout, search and the notification feed.</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _checkouts;
    private readonly Histogram<double> _checkoutDuration;
    private readonly Histogram<double> _searchDuration;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _notifications;

    /// <summary>Creates the instruments on the host's meter factory.</summary>
    public MarketplaceTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(Name);
        _checkouts = _meter.CreateCounter<long>("marketplace.checkout.requests", "{request}", "Checkout requests by outcome (placed, or the error code).");
        _checkoutDuration = _meter.CreateHistogram<double>("marketplace.checkout.duration", "s", "Checkout request processing time.");
        _searchDuration = _meter.CreateHistogram<double>("marketplace.search.duration", "s", "Catalog search time, availability included.");
        _cacheLookups = _meter.CreateCounter<long>("marketplace.product_cache.lookups", "{lookup}", "Product read cache lookups by result (hit, miss).");
        _notifications = _meter.CreateCounter<long>("marketplace.notifications.delivered", "{notification}", "Notifications added to user feeds.");
    }

    /// <summary>Records a finished checkout.</summary>
    public void Checkout(string outcome, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _checkouts.Add(1, tag);
        _checkoutDuration.Record(elapsed.TotalSeconds, tag);
    }

    /// <summary>Records a search.</summary>
    public void Search(TimeSpan elapsed, bool fullText) =>
        _searchDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("full_text", fullText));

    /// <summary>Records a product cache lookup.</summary>
    public void CacheLookup(bool hit) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    /// <summary>Records notifications added to feeds.</summary>
    public void Notified(int count) => _notifications.Add(count);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
