using System.Collections.Frozen;
using Commerce.Payments.Providers;
using Commerce.Payments.Webhooks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Commerce.Payments.Routing;

/// <summary>A provider as the orchestrator uses it: the adapter behind its resilience pipeline, and its routing rules.</summary>
internal sealed class RoutedProvider
{
    public RoutedProvider(string name, IPaymentProvider provider, PaymentProviderOptions options, TimeProvider timeProvider)
    {
        Name = name;
        Provider = provider;
        Options = options;
        Pipeline = BuildPipeline(name, options, timeProvider);
        Timeout = new ProviderCallTimeout(options.Timeout, timeProvider);
    }

    public string Name { get; }

    public IPaymentProvider Provider { get; }

    public PaymentProviderOptions Options { get; }

    /// <summary>Retry (same PSP key, so never a second charge) around a circuit breaker; each try runs under <see cref="Timeout"/>.</summary>
    public ResiliencePipeline<ProviderResult> Pipeline { get; }

    /// <summary>The per-try timeout, applied inside the pipeline's callback (see <see cref="ProviderCallTimeout"/>).</summary>
    public ProviderCallTimeout Timeout { get; }

    public bool Accepts(Money amount) =>
        (Options.Currencies.Count == 0 || Options.Currencies.Contains(amount.Currency.Code))
        && amount.MinorUnits >= Options.MinAmountMinor && amount.MinorUnits <= Options.MaxAmountMinor;

    private static ResiliencePipeline<ProviderResult> BuildPipeline(string name, PaymentProviderOptions options, TimeProvider timeProvider)
    {
        var failed = new PredicateBuilder<ProviderResult>()
            .HandleResult(static r => r.Outcome is ProviderOutcome.NotProcessed or ProviderOutcome.Unknown)
            .Handle<Exception>(static e => e is not OperationCanceledException and not BrokenCircuitException);
        var builder = new ResiliencePipelineBuilder<ProviderResult> { Name = "commerce-payments-" + name, TimeProvider = timeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<ProviderResult>
            {
                ShouldHandle = failed,
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<ProviderResult>
        {
            ShouldHandle = failed,
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = options.CircuitMinimumThroughput,
            SamplingDuration = options.CircuitSamplingDuration,
            BreakDuration = options.CircuitBreakDuration,
        });
        return builder.Build();
    }
}

/// <summary>The configured providers and webhook parsers, and the routing rules that order them for a payment.</summary>
internal sealed class PaymentProviderRegistry
{
    private readonly FrozenDictionary<string, RoutedProvider> _providers;
    private readonly RoutedProvider[] _byPriority;
    private readonly FrozenDictionary<string, IPaymentWebhookParser> _parsers;

    public PaymentProviderRegistry(IEnumerable<RoutedProvider> providers, IEnumerable<KeyValuePair<string, IPaymentWebhookParser>> parsers)
    {
        _byPriority = [.. providers.OrderBy(static p => p.Options.Priority)];
        _providers = _byPriority.ToFrozenDictionary(static p => p.Name, StringComparer.Ordinal);
        _parsers = parsers.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyList<RoutedProvider> All => _byPriority;

    public RoutedProvider? Find(string name) => _providers.GetValueOrDefault(name);

    public IPaymentWebhookParser? FindParser(string name) => _parsers.GetValueOrDefault(name);

    /// <summary>
    /// The providers to try for an amount, best first: ascending priority; within a priority, a weighted random order
    /// (zero weights last). A preferred provider, if named, goes first. Providers in <paramref name="exclude"/> are skipped.
    /// </summary>
    public IReadOnlyList<RoutedProvider> Route(Money amount, string? preferred, Func<string, bool>? exclude = null)
    {
        if (_byPriority.Length == 1 && preferred is null && exclude is null)
        {
            // The common single-provider set-up routes without allocating.
            return _byPriority[0].Accepts(amount) ? _byPriority : [];
        }

        var route = new List<RoutedProvider>(_byPriority.Length);
        if (preferred is not null)
        {
            if (Find(preferred) is not { } chosen || !chosen.Accepts(amount))
            {
                throw new CommerceValidationException(PaymentErrorCodes.UnknownProvider, $"Provider '{preferred}' is not configured for {amount.Currency.Code} {amount.MinorUnits}.", "provider");
            }

            if (exclude?.Invoke(preferred) != true)
            {
                route.Add(chosen);
            }
        }

        var start = 0;
        while (start < _byPriority.Length)
        {
            var end = start;
            while (end < _byPriority.Length && _byPriority[end].Options.Priority == _byPriority[start].Options.Priority)
            {
                end++;
            }

            var groupStart = route.Count;
            for (var i = start; i < end; i++)
            {
                var candidate = _byPriority[i];
                if (candidate.Name != preferred && candidate.Accepts(amount) && exclude?.Invoke(candidate.Name) != true)
                {
                    route.Add(candidate);
                }
            }

            ShuffleByWeight(route, groupStart);
            start = end;
        }

        return route;
    }

    /// <summary>Weighted random order without replacement (each pick proportional to the remaining weights).</summary>
    private static void ShuffleByWeight(List<RoutedProvider> route, int from)
    {
        for (var i = from; i < route.Count - 1; i++)
        {
            long total = 0;
            for (var j = i; j < route.Count; j++)
            {
                total += route[j].Options.Weight;
            }

            if (total == 0)
            {
                return;
            }

            var pick = Random.Shared.NextInt64(total);
            for (var j = i; j < route.Count; j++)
            {
                pick -= route[j].Options.Weight;
                if (pick < 0)
                {
                    (route[i], route[j]) = (route[j], route[i]);
                    break;
                }
            }
        }
    }
}
