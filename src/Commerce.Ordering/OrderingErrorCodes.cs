namespace Commerce.Ordering;

/// <summary>Stable error codes of the ordering engine. Switch on these, never on messages.</summary>
public static class OrderingErrorCodes
{
    /// <summary>The command's outcome is not a declared move from the order's state; the message names from and to. A result, not an exception.</summary>
    public const string InvalidTransition = "ordering.invalid_transition";

    /// <summary>The order changed since the caller's <see cref="OrderCommand.ExpectedVersion"/>. A result; read the order and decide again.</summary>
    public const string VersionConflict = "ordering.version_conflict";

    /// <summary>No order has this id.</summary>
    public const string OrderNotFound = "ordering.order_not_found";

    /// <summary>An order with this id already exists (placed by another command).</summary>
    public const string OrderAlreadyExists = "ordering.order_already_exists";

    /// <summary>A command id was reused for a different command on the same order.</summary>
    public const string CommandIdReused = "ordering.command_id_reused";

    /// <summary>An order has no lines.</summary>
    public const string EmptyOrder = "ordering.empty_order";

    /// <summary>An order has more lines than the configured maximum.</summary>
    public const string TooManyLines = "ordering.too_many_lines";

    /// <summary>Two lines name the same SKU from the same seller.</summary>
    public const string DuplicateLine = "ordering.duplicate_line";

    /// <summary>Amounts of one order (or a refund) are in different currencies.</summary>
    public const string CurrencyMismatch = "ordering.currency_mismatch";

    /// <summary>A quantity is zero, negative, or above the configured maximum.</summary>
    public const string InvalidQuantity = "ordering.invalid_quantity";

    /// <summary>A price, shipping, tax or refund amount is negative (or, for a refund, zero), or a total overflows.</summary>
    public const string InvalidAmount = "ordering.invalid_amount";

    /// <summary>A refund would take the refunded total above the order's total.</summary>
    public const string RefundExceedsTotal = "ordering.refund_exceeds_total";

    /// <summary>The seller has no fulfilment in this order.</summary>
    public const string UnknownFulfilment = "ordering.unknown_fulfilment";

    /// <summary>An actor, reason or tracking number is empty or too long.</summary>
    public const string InvalidText = "ordering.invalid_text";

    /// <summary>A page token is malformed or a page size is out of range.</summary>
    public const string InvalidPage = "ordering.invalid_page";
}
