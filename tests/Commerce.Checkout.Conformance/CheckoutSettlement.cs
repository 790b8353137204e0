using Commerce.Checkout.Storage;
using Commerce.Inventory;
using Commerce.Ordering;
using Commerce.Payments;
using Commerce.Payments.Providers.Simulated;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Checkout.Conformance;

/// <summary>
/// Drives a whole engine on a fake clock to rest after faults and crashes, then checks the invariants: written once for
/// the crash and fault tests of every store (in memory and PostgreSQL).
/// </summary>
/// <param name="Time">The clock every part of the engine reads.</param>
/// <param name="Options">The checkout options (the saga lease and the capture mode).</param>
/// <param name="Inventory">The inventory engine.</param>
/// <param name="Orders">The ordering engine.</param>
/// <param name="Store">The saga store the checkout service writes through.</param>
/// <param name="Payments">The payments engine.</param>
/// <param name="Checkout">The checkout service.</param>
/// <param name="Psp">The simulated PSP, whose counts are checked.</param>
public sealed record CheckoutSettlement(
    FakeTimeProvider Time,
    CheckoutOptions Options,
    InventoryService Inventory,
    OrderService Orders,
    ICheckoutSagaStore Store,
    PaymentService Payments,
    CheckoutService Checkout,
    SimulatedPaymentProvider Psp)
{
    /// <summary>
    /// What the recovery workers of the engines do over time: passes of the reservation sweeper, the payments resolver
    /// and the checkout recovery, each after the leases ran out, until no saga is left to drive.
    /// </summary>
    public async Task RecoverAllAsync(IEnumerable<CheckoutRequest> requests, int maxPasses = 20, TimeSpan? firstDelay = null)
    {
        var keys = requests.Select(r => r.IdempotencyKey).ToArray();
        for (var pass = 0; pass < maxPasses; pass++)
        {
            Time.Advance(pass == 0 && firstDelay is { } delay ? delay : Options.SagaLease + TimeSpan.FromMinutes(1));
            await Inventory.ExpireDueReservationsAsync();
            foreach (var key in keys)
            {
                if (await Store.FindByKeyAsync(key, default) is { } saga)
                {
                    await Payments.ResolveAsync(saga.PaymentId, default);
                }
            }

            await Checkout.RecoverDueAsync();
            if ((await Store.ListDueAsync(Time.GetUtcNow().AddYears(1), 1, default)).Count == 0)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The invariants after everything settled: no stock held, every started checkout completed (paid order,
    /// captured payment, committed stock) or compensated (no live order, no open authorization, stock back) or, when
    /// capture waits for shipment, waiting for it; and the PSP authorized exactly the checkouts that completed plus
    /// those it voided.
    /// </summary>
    public async Task AssertSettledAsync(IEnumerable<CheckoutRequest> requests, IEnumerable<Sku> skus)
    {
        foreach (var sku in skus)
        {
            var level = await Inventory.GetStockAsync(sku);
            Assert.Equal(0, level!.Reserved);
        }

        var completed = 0;
        foreach (var request in requests)
        {
            var saga = await Store.FindByKeyAsync(request.IdempotencyKey, default);
            if (saga is null)
            {
                continue;
            }

            var order = await Orders.GetAsync(saga.OrderId);
            var payment = await Payments.GetAsync(saga.PaymentId, default);
            var reservation = await Inventory.GetReservationAsync(saga.ReservationId);
            var waitsForShipment = Options.CaptureMode == CaptureMode.OnShipment && saga.Step == CheckoutStep.AwaitingShipment;
            Assert.True(saga.IsFinished || waitsForShipment, $"{saga.Id} stuck at {saga.Step} ({saga.FailureCode})");
            if (saga.Step == CheckoutStep.Completed)
            {
                completed++;
                Assert.Equal(OrderState.Paid, order!.State);
                Assert.Equal(PaymentStatus.Captured, payment!.Status);
                Assert.Equal(saga.TotalMinor, payment.CapturedMinor);
                Assert.Equal(ReservationState.Committed, reservation!.State);
            }
            else if (saga.Step == CheckoutStep.Compensated)
            {
                Assert.True(order is null || order.State == OrderState.Cancelled, $"{saga.Id}: order {order?.State}");
                Assert.True(payment is null or { Status: PaymentStatus.Failed or PaymentStatus.Voided }, $"{saga.Id}: payment {payment?.Status}");
                Assert.True(reservation is null || reservation.State != ReservationState.Active);
            }
        }

        Assert.Equal(completed, Psp.Captures);
        Assert.Equal(completed + Psp.Voids, Psp.Authorizations);
    }
}
