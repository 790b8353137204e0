using System.Collections.Concurrent;
using Commerce.Events;
using FsCheck;
using FsCheck.Fluent;

namespace Commerce.Ordering.Conformance;

/// <summary>
/// Property tests: random command sequences over a few orders, with exact duplicates, command ids reused for other
/// commands, and concurrent writers, must after every round leave each order on the declared graph, rebuildable from
/// its history, and with exactly one outbox event per stored change.
/// </summary>
public abstract partial class OrderStoreConformance
{
    private const int PropertyOrders = 3;
    private const int PropertySellers = 3;
    private int _propertyCase;

    [Fact]
    public void Random_concurrent_command_sequences_stay_on_the_declared_graph_and_the_history_and_outbox_match_the_state()
    {
        var property = Prop.ForAll(Arb.From(ScenarioGen()), scenario =>
            Task.Run(() => RunScenarioAsync(scenario)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(PropertyIterations), property);
    }

    private static Gen<PropertyScenario> ScenarioGen()
    {
        var orderGen = Gen.Choose(0, PropertyOrders - 1);
        var sellerGen = Gen.Choose(0, PropertySellers - 1);
        var command = Gen.OneOf(
            orderGen.Select(o => new PropertyCommand(o, "pay", 0)),
            orderGen.Select(o => new PropertyCommand(o, "request_payment", 0)),
            orderGen.Select(o => new PropertyCommand(o, "cancel", 0)),
            from o in orderGen from s in sellerGen select new PropertyCommand(o, "ship", s),
            from o in orderGen from s in sellerGen select new PropertyCommand(o, "deliver", s),
            orderGen.Select(o => new PropertyCommand(o, "request_return", 0)),
            orderGen.Select(o => new PropertyCommand(o, "receive_return", 0)),
            from o in orderGen from a in Gen.Choose(1, 2_500) select new PropertyCommand(o, "refund", a));
        return from sellers in Gen.ArrayOf(Gen.Choose(1, (1 << PropertySellers) - 1), PropertyOrders)
               from awaitPayment in Gen.ArrayOf(Gen.Elements(true, false), PropertyOrders)
               from pool in Gen.NonEmptyListOf(command).Select(p => p.Take(16).ToArray())
               from picks in Gen.ListOf(Gen.Choose(0, 1_000), 40).Select(p => p.ToArray())
               from reuse in Gen.Choose(0, 3)
               from roundSize in Gen.Choose(1, 6)
               select new PropertyScenario(sellers, awaitPayment, pool, picks, reuse, roundSize);
    }

    private async Task<bool> RunScenarioAsync(PropertyScenario scenario)
    {
        var prefix = $"p{Interlocked.Increment(ref _propertyCase)}";
        OrderId Order(int o) => new($"{prefix}-o{o}");
        // Each pool entry has its own command id, except that the first `Reuse` entries share the id of the last one:
        // same id, other command, which must be refused whenever the other one was recorded first.
        CommandId Id(int index) => new($"{prefix}-c{(index < scenario.Reuse ? scenario.Pool.Length - 1 : index)}");
        var recordedBodies = new ConcurrentDictionary<CommandId, ConcurrentBag<string>>();

        var placements = new List<OrderCommand>();
        for (var o = 0; o < PropertyOrders; o++)
        {
            var lines = Enumerable.Range(0, PropertySellers).Where(s => (scenario.Sellers[o] & (1 << s)) != 0)
                .Select(s => Line($"sku-{s}", $"s{s}", quantity: 1 + s, unitPrice: 300 + (100 * s))).ToArray();
            placements.Add(new PlaceOrder(Order(o), new CommandId($"{prefix}-place-{o}"), "property", new BuyerId($"{prefix}-buyer"), lines)
            {
                AwaitPayment = scenario.AwaitPayment[o],
                Shipping = Usd(150),
            });
        }

        OrderCommand ToCommand(int index)
        {
            var c = scenario.Pool[index];
            var order = Order(c.Order);
            var id = Id(index);
            recordedBodies.GetOrAdd(id, _ => []).Add(c.Kind);
            return c.Kind switch
            {
                "pay" => new MarkPaid(order, id, "property"),
                "request_payment" => new RequestPayment(order, id, "property"),
                "cancel" => new CancelOrder(order, id, "property"),
                "ship" => new ShipFulfilment(order, id, "property", new SellerId($"s{c.Argument}"), $"T{c.Argument}"),
                "deliver" => new DeliverFulfilment(order, id, "property", new SellerId($"s{c.Argument}")),
                "request_return" => new RequestReturn(order, id, "property"),
                "receive_return" => new ReceiveReturn(order, id, "property"),
                "refund" => new RefundOrder(order, id, "property", Usd(c.Argument)),
                _ => throw new InvalidOperationException(c.Kind),
            };
        }

        // Placements (with duplicates) are part of the sequence: the first round places every order, concurrently.
        var sequence = placements.Concat(placements).Concat(scenario.Picks.Select(p => ToCommand(p % scenario.Pool.Length))).ToArray();
        var published = new List<EventEnvelope>();
        foreach (var round in new[] { sequence[..(2 * PropertyOrders)] }.Concat(sequence[(2 * PropertyOrders)..].Chunk(scenario.RoundSize)))
        {
            // Released together, so that the round's writers race each other.
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writers = round.Select(command => Task.Run(async () =>
            {
                await start.Task;
                await ExecuteAsync(command);
            })).ToArray();
            start.SetResult();
            await Task.WhenAll(writers);
            published.AddRange(await DrainOutboxAsync());
            await AssertInvariantsAsync();
        }

        return true;

        async Task ExecuteAsync(OrderCommand command)
        {
            try
            {
                var result = await Orders.ExecuteAsync(command);
                Assert.True(result.IsSuccess || result.Error!.Code == OrderingErrorCodes.InvalidTransition, result.ToString());
            }
            catch (CommerceException ex) when (ex.Code is OrderingErrorCodes.CommandIdReused
                                                   or OrderingErrorCodes.UnknownFulfilment
                                                   or OrderingErrorCodes.RefundExceedsTotal)
            {
                // Expected refusals of a random sequence; the invariants below decide whether the store stayed right.
            }
        }

        async Task AssertInvariantsAsync()
        {
            var stored = new List<OrderEvent>();
            for (var o = 0; o < PropertyOrders; o++)
            {
                var history = await Orders.ReadHistoryAsync(Order(o));
                var current = await Orders.GetAsync(Order(o));
                stored.AddRange(history);

                Assert.Equal(Enumerable.Range(1, history.Count).Select(v => (long)v), history.Select(e => e.Version));
                Assert.Equal(history.Count, history.Select(e => e.CommandId).Distinct().Count());
                var fulfilments = new Dictionary<SellerId, FulfilmentState>();
                OrderState? state = null;
                foreach (var change in history)
                {
                    Assert.Equal(state, change.FromState);
                    Assert.True(OrderStateMachine.IsAllowed(change.Type, change.FromState, change.ToState),
                        $"{change.Type} from {change.FromState} to {change.ToState} is not declared");
                    if (change.Type == OrderEventType.Placed)
                    {
                        Assert.Equal(new CommandId($"{prefix}-place-{o}"), change.CommandId);
                        foreach (var line in change.Lines!)
                        {
                            fulfilments[line.Seller] = FulfilmentState.Pending;
                        }
                    }
                    else
                    {
                        // Every recorded command is one that was sent under that id, with the same body.
                        Assert.Contains(ExpectedKind(change.Type), recordedBodies[change.CommandId]);
                    }

                    if (change.Seller is { } seller)
                    {
                        var to = change.Type == OrderEventType.FulfilmentShipped ? FulfilmentState.Shipped : FulfilmentState.Delivered;
                        Assert.True(OrderStateMachine.IsAllowed(change.Type, fulfilments[seller], to), $"{seller}: {fulfilments[seller]} to {to}");
                        fulfilments[seller] = to;
                    }

                    state = change.ToState;
                }

                Assert.NotNull(current);
                Assert.Equal(current, Ordering.Order.FromHistory(history));
                Assert.True(current.Refunded <= current.Total);
            }

            // Exactly one outbox event per stored change, and an order's events in version order.
            Assert.Equal(stored.Select(e => e.EventId).Order(), published.Select(e => e.EventId).Order());
            foreach (var stream in published.GroupBy(e => e.StreamId))
            {
                var versions = stream.Select(e => Payload(e).Version).ToList();
                Assert.Equal(versions.Order(), versions);
            }
        }
    }

    private static string ExpectedKind(OrderEventType type) => type switch
    {
        OrderEventType.Paid => "pay",
        OrderEventType.PaymentRequested => "request_payment",
        OrderEventType.Cancelled => "cancel",
        OrderEventType.FulfilmentShipped => "ship",
        OrderEventType.FulfilmentDelivered => "deliver",
        OrderEventType.ReturnRequested => "request_return",
        OrderEventType.ReturnReceived => "receive_return",
        OrderEventType.Refunded => "refund",
        _ => type.ToString(),
    };

    /// <summary>A command of the random pool: on which order, what, and its argument (a seller index or an amount).</summary>
    public sealed record PropertyCommand(int Order, string Kind, int Argument);

    /// <summary>Sellers per order (bit masks), the pool, picks into it (with repeats), how many pool ids are reused, round size.</summary>
    public sealed record PropertyScenario(int[] Sellers, bool[] AwaitPayment, PropertyCommand[] Pool, int[] Picks, int Reuse, int RoundSize)
    {
        public override string ToString() =>
            $"sellers [{string.Join(",", Sellers)}], await [{string.Join(",", AwaitPayment)}], reuse {Reuse}, rounds of {RoundSize}, " +
            $"pool [{string.Join("; ", Pool.Select((c, i) => $"{i}:o{c.Order} {c.Kind} {c.Argument}"))}], picks [{string.Join(",", Picks.Select(p => p % Pool.Length))}]";
    }
}
