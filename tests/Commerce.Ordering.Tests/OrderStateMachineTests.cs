namespace Commerce.Ordering.Tests;

public sealed class OrderStateMachineTests
{
    [Fact]
    public void Every_state_is_reachable_from_placement_and_only_cancelled_and_refunded_are_terminal()
    {
        var reached = OrderStateMachine.Transitions.Where(t => t.From is null).Select(t => t.To).ToHashSet();
        var frontier = new Queue<OrderState>(reached);
        while (frontier.TryDequeue(out var state))
        {
            foreach (var next in OrderStateMachine.Transitions.Where(t => t.From == state).Select(t => t.To))
            {
                if (reached.Add(next))
                {
                    frontier.Enqueue(next);
                }
            }
        }

        Assert.Equal(Enum.GetValues<OrderState>().Order(), reached.Order());
        var terminal = Enum.GetValues<OrderState>().Where(s => OrderStateMachine.Transitions.All(t => t.From != s));
        Assert.Equal([OrderState.Cancelled, OrderState.Refunded], terminal);
    }

    [Fact]
    public void Only_unshipped_orders_can_be_cancelled()
    {
        var cancellable = OrderStateMachine.Transitions.Where(t => t.Event == OrderEventType.Cancelled).Select(t => t.From!.Value);
        Assert.Equal([OrderState.Pending, OrderState.AwaitingPayment, OrderState.Paid], cancellable);
    }

    [Theory]
    [InlineData(new[] { FulfilmentState.Pending, FulfilmentState.Pending }, OrderState.Paid)]
    [InlineData(new[] { FulfilmentState.Shipped, FulfilmentState.Pending }, OrderState.PartiallyShipped)]
    [InlineData(new[] { FulfilmentState.Delivered, FulfilmentState.Pending }, OrderState.PartiallyShipped)]
    [InlineData(new[] { FulfilmentState.Shipped, FulfilmentState.Delivered }, OrderState.Shipped)]
    [InlineData(new[] { FulfilmentState.Delivered, FulfilmentState.Delivered }, OrderState.Delivered)]
    public void An_orders_fulfilment_state_derives_from_its_fulfilments(FulfilmentState[] fulfilments, OrderState expected)
    {
        var derived = OrderStateMachine.DeriveFromFulfilments(fulfilments.Select((s, i) => new Fulfilment(new SellerId($"s{i}"), s)).ToArray());
        Assert.Equal(expected, derived);
    }

    [Fact]
    public void The_state_after_one_fulfilment_moves_is_derived_without_building_the_new_fulfilments()
    {
        var states = Enum.GetValues<FulfilmentState>();
        foreach (var first in states)
        {
            foreach (var second in states)
            {
                Fulfilment[] fulfilments = [new(new SellerId("s0"), first), new(new SellerId("s1"), second)];
                foreach (var to in states)
                {
                    Fulfilment[] moved = [fulfilments[0], fulfilments[1] with { State = to }];
                    Assert.Equal(OrderStateMachine.DeriveFromFulfilments(moved), OrderStateMachine.DeriveFromFulfilments(fulfilments, new SellerId("s1"), to));
                }
            }
        }
    }

    [Fact]
    public void State_names_round_trip()
    {
        foreach (var state in Enum.GetValues<OrderState>())
        {
            Assert.Equal(state, OrderStateMachine.ParseState(OrderStateMachine.Name(state)));
        }

        foreach (var type in Enum.GetValues<OrderEventType>())
        {
            Assert.Equal(type, OrderEventTypes.Parse(OrderEventTypes.Name(type)));
        }
    }

    [Fact]
    public async Task A_history_out_of_order_is_refused()
    {
        var service = OrderService.CreateInMemory();
        var id = new OrderId("o");
        var placed = await service.ExecuteAsync(new PlaceOrder(id, new CommandId("c1"), "t", new BuyerId("b"),
            [new OrderLine(new Sku("s"), new SellerId("x"), 1, new Money(100, Currency.USD))]));
        var paid = await service.ExecuteAsync(new MarkPaid(id, new CommandId("c2"), "t"));

        Assert.Throws<ArgumentException>(() => Order.FromHistory([paid.Event!, placed.Event!]));
        Assert.Throws<ArgumentException>(() => Order.FromHistory([]));
        Assert.Equal(paid.Order, Order.FromHistory([placed.Event!, paid.Event!]));
    }
}
