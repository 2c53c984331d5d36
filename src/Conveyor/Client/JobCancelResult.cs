namespace Conveyor;

/// <summary>What a cancellation did.</summary>
public enum JobCancelOutcome
{
    /// <summary>No job has that id.</summary>
    NotFound,

    /// <summary>The job was waiting and is now cancelled.</summary>
    Cancelled,

    /// <summary>
    /// The job is running; its handler's token fires (at once in this process, at the next heartbeat in another)
    /// and the job ends cancelled when the handler stops.
    /// </summary>
    CancelRequested,

    /// <summary>The job had already finished; nothing changed.</summary>
    AlreadyFinished,
}

/// <summary>The outcome of a cancellation and the job as it is afterwards.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Job">The job after the call; null when not found.</param>
public sealed record JobCancelResult(JobCancelOutcome Outcome, JobInfo? Job);

/// <summary>What a requeue did.</summary>
public enum JobRequeueOutcome
{
    /// <summary>No job has that id.</summary>
    NotFound,

    /// <summary>The failed job is pending again with a fresh attempt budget.</summary>
    Requeued,

    /// <summary>The job is not in the dead-letter queue (not failed); nothing changed.</summary>
    NotFailed,
}

/// <summary>The outcome of a requeue and the job as it is afterwards.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Job">The job after the call; null when not found.</param>
public sealed record JobRequeueResult(JobRequeueOutcome Outcome, JobInfo? Job);
