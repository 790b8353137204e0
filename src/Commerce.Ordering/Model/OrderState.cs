namespace Commerce.Ordering;

/// <summary>The states of an order. The allowed moves between them are declared in <see cref="OrderStateMachine"/>.</summary>
public enum OrderState
{
    /// <summary>Placed, not yet waiting for payment.</summary>
    Pending = 1,

    /// <summary>Waiting for the buyer's payment.</summary>
    AwaitingPayment = 2,

    /// <summary>Paid; no fulfilment has shipped yet.</summary>
    Paid = 3,

    /// <summary>Some sellers' fulfilments have shipped, others not yet.</summary>
    PartiallyShipped = 4,

    /// <summary>Every fulfilment has shipped; not all are delivered.</summary>
    Shipped = 5,

    /// <summary>Every fulfilment is delivered.</summary>
    Delivered = 6,

    /// <summary>Cancelled before shipping. Terminal.</summary>
    Cancelled = 7,

    /// <summary>Part of the total was refunded.</summary>
    PartiallyRefunded = 8,

    /// <summary>The whole total was refunded. Terminal.</summary>
    Refunded = 9,

    /// <summary>The buyer asked to return a delivered order.</summary>
    ReturnRequested = 10,

    /// <summary>The returned goods were received.</summary>
    Returned = 11,
}

/// <summary>The states of one seller's fulfilment of an order.</summary>
public enum FulfilmentState
{
    /// <summary>Not shipped yet.</summary>
    Pending = 1,

    /// <summary>Handed to a carrier, with a tracking number.</summary>
    Shipped = 2,

    /// <summary>Delivered to the buyer.</summary>
    Delivered = 3,
}
