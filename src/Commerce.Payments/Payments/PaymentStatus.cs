namespace Commerce.Payments;

/// <summary>Where a payment stands. <see cref="PaymentTransitions"/> declares how it may move.</summary>
public enum PaymentStatus
{
    /// <summary>Created; no authorization has succeeded yet.</summary>
    Created,

    /// <summary>The amount is held on the buyer's payment method.</summary>
    Authorized,

    /// <summary>Part of the authorization has been captured; more captures may follow.</summary>
    PartiallyCaptured,

    /// <summary>The authorization is fully captured (or closed by a final capture).</summary>
    Captured,

    /// <summary>The authorization was cancelled before any capture. Terminal.</summary>
    Voided,

    /// <summary>No authorization succeeded: declined, or every provider surely failed to process it. Terminal.</summary>
    Failed,

    /// <summary>Part of the captured amount has been refunded.</summary>
    PartiallyRefunded,

    /// <summary>The captured amount is fully refunded. Terminal.</summary>
    Refunded,

    /// <summary>A PSP call may have been processed but its answer never came; the resolver settles it. Nothing else may happen meanwhile.</summary>
    Unknown,
}

/// <summary>The PSP operations a payment goes through.</summary>
public enum PaymentOperation
{
    /// <summary>Hold the amount.</summary>
    Authorize,

    /// <summary>Take part or all of the held amount.</summary>
    Capture,

    /// <summary>Cancel the hold.</summary>
    Void,

    /// <summary>Return part or all of the captured amount.</summary>
    Refund,
}

/// <summary>Where one attempt (one operation sent to one provider) stands.</summary>
public enum AttemptStatus
{
    /// <summary>Persisted before any PSP I/O; the call is in flight, or the process died during it.</summary>
    Pending,

    /// <summary>The PSP processed it.</summary>
    Succeeded,

    /// <summary>The PSP refused it.</summary>
    Declined,

    /// <summary>The PSP surely did not process it (or confirmed it has no record of it).</summary>
    Failed,

    /// <summary>It may have been processed; the resolver asks the PSP.</summary>
    Unknown,
}
