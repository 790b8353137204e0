namespace Commerce.Redis.Inventory;

/// <summary>Stable error codes the Redis inventory store adds to those of the inventory engine.</summary>
public static class RedisInventoryErrorCodes
{
    /// <summary>
    /// A reservation spanning Redis Cluster shards could not finish in time (another copy of the request is between its
    /// steps, or this one outlived the pending timeout and was rolled back). Nothing is held by this call; retry.
    /// </summary>
    public const string ReservationInProgress = "inventory.reservation_in_progress";
}

internal static class RedisInventoryErrors
{
    public static CommerceException InProgress(string message) =>
        new(new CommerceError(RedisInventoryErrorCodes.ReservationInProgress, message));
}
