namespace Conveyor;

/// <summary>
/// Where a job is in its life. See <c>docs/contract.md</c> for every allowed transition.
/// </summary>
/// <remarks>
/// <see cref="Scheduled"/> and <see cref="Pending"/> are one stored state told apart by the clock: a waiting
/// job whose <c>run_at</c> lies in the future is reported as scheduled, and becomes pending when that time
/// passes, without a write.
/// </remarks>
public enum JobState
{
    /// <summary>Waiting for its <c>run_at</c> (a delay, a schedule or a retry back-off).</summary>
    Scheduled = 0,

    /// <summary>Ready to be claimed by a worker.</summary>
    Pending = 1,

    /// <summary>Claimed by a worker that holds its lease.</summary>
    Running = 2,

    /// <summary>Suspended until a person answers a question; holds no worker.</summary>
    AwaitingInput = 3,

    /// <summary>Finished successfully. Terminal.</summary>
    Succeeded = 4,

    /// <summary>Failed permanently or ran out of attempts: the job is in the dead-letter queue. Terminal until requeued.</summary>
    Failed = 5,

    /// <summary>Cancelled before or while it ran. Terminal.</summary>
    Cancelled = 6,
}

/// <summary>Helpers on <see cref="JobState"/>.</summary>
public static class JobStateExtensions
{
    /// <summary>True for <see cref="JobState.Succeeded"/>, <see cref="JobState.Failed"/> and <see cref="JobState.Cancelled"/>.</summary>
    public static bool IsTerminal(this JobState state) => state >= JobState.Succeeded;

    /// <summary>The contract's snake_case name of the state (<c>awaiting_input</c>), as shown by the API and the docs.</summary>
    public static string ToWireName(this JobState state) => state switch
    {
        JobState.Scheduled => "scheduled",
        JobState.Pending => "pending",
        JobState.Running => "running",
        JobState.AwaitingInput => "awaiting_input",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };
}
