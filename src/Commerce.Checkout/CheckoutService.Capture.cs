using System.Text.Json;
using Commerce.Events;
using Commerce.Ordering;
using Commerce.Payments;

namespace Commerce.Checkout;

/// <summary>What <see cref="CheckoutService.CaptureShipmentAsync"/> did.</summary>
public enum ShipmentCaptureOutcome
{
    /// <summary>The seller's share was captured (or had been before).</summary>
    Captured = 1,

    /// <summary>Nothing to do: the order is not a checkout's, or its checkout captures immediately.</summary>
    NotApplicable = 2,

    /// <summary>The payment is busy or its outcome unknown; call again later (an event handler should let the event be redelivered).</summary>
    RetryLater = 3,
}

public sealed partial class CheckoutService
{
    /// <summary>
    /// Handles an ordering event for on-shipment capture: an <c>ordering.fulfilment.shipped</c> event captures that
    /// seller's share of its checkout's authorization. Other events are ignored. Idempotent, so at-least-once delivery
    /// is fine. Feed it from the ordering outbox's publisher (for example a <see cref="ChannelEventPublisher"/> reader).
    /// </summary>
    public ValueTask<ShipmentCaptureOutcome> HandleOrderEventAsync(EventEnvelope envelope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (envelope.EventType != OrderEventTypes.FulfilmentShipped)
        {
            return new(ShipmentCaptureOutcome.NotApplicable);
        }

        var payload = JsonSerializer.Deserialize(envelope.Payload.Span, OrderingJsonContext.Default.OrderEventPayload);
        if (payload?.SellerId is not { } seller || !OrderId.TryParse(envelope.StreamId, out var orderId))
        {
            return new(ShipmentCaptureOutcome.NotApplicable);
        }

        return CaptureShipmentAsync(orderId, new SellerId(seller), cancellationToken);
    }

    /// <summary>
    /// Captures a seller's share of the checkout that placed <paramref name="orderId"/> (on-shipment mode); recording the
    /// last share completes the saga. Each share is captured once, under a key derived from the checkout and the seller,
    /// with the same request whatever the order in which sellers ship, so concurrent shipments and redeliveries replay.
    /// </summary>
    public async ValueTask<ShipmentCaptureOutcome> CaptureShipmentAsync(OrderId orderId, SellerId seller, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < MaxMoves; attempt++)
        {
            var saga = await _store.FindByOrderAsync(orderId, cancellationToken).ConfigureAwait(false);
            if (saga is null || saga.CaptureMode != CaptureMode.OnShipment || saga.Step is not (CheckoutStep.AwaitingShipment or CheckoutStep.Completed))
            {
                return saga is { CaptureMode: CaptureMode.OnShipment, Step: CheckoutStep.Paid or CheckoutStep.OrderPlaced or CheckoutStep.Started }
                    ? ShipmentCaptureOutcome.RetryLater
                    : ShipmentCaptureOutcome.NotApplicable;
            }

            if (saga.CapturedSellers.Contains(seller))
            {
                return ShipmentCaptureOutcome.Captured;
            }

            var shares = CheckoutSagas.SellerShares(saga);
            var share = shares.FirstOrDefault(s => s.Seller == seller);
            if (share.AmountMinor == 0)
            {
                return ShipmentCaptureOutcome.NotApplicable;
            }

            // A share's capture request never depends on which other shares were recorded first: two sellers shipping at
            // once would otherwise each send a different body under their one key on the retry after a lost saga write.
            // The shares add up to the authorized total, so the last one to land captures the payment in full anyway.
            var isFinal = shares.Count == 1;
            PaymentResult result;
            try
            {
                result = await _payments.CaptureAsync(new CapturePaymentRequest(
                    saga.PaymentId, CheckoutSagas.CaptureKey(saga, seller), new Money(share.AmountMinor, saga.Currency), isFinal), cancellationToken).ConfigureAwait(false);
            }
            catch (CommerceException e) when (e.Code is PaymentErrorCodes.PaymentBusy or PaymentErrorCodes.RequestInProgress)
            {
                return ShipmentCaptureOutcome.RetryLater;
            }

            if (!result.Succeeded)
            {
                return ShipmentCaptureOutcome.RetryLater;
            }

            var captured = new List<SellerId>(saga.CapturedSellers) { seller };
            var written = await _store.UpdateAsync(saga with
            {
                CapturedSellers = captured,
                Step = captured.Count == shares.Count ? CheckoutStep.Completed : CheckoutStep.AwaitingShipment,
                Version = saga.Version + 1,
                UpdatedAt = Now(),
            }, cancellationToken).ConfigureAwait(false);
            if (written.IsWritten)
            {
                return ShipmentCaptureOutcome.Captured;
            }

            // Another seller's capture was recorded meanwhile: read again; this seller's capture replays under its key.
        }

        return ShipmentCaptureOutcome.RetryLater;
    }
}
