namespace Conveyor;

/// <summary>
/// One entry of a job's history. The store appends it in the same transaction as the change it records.
/// </summary>
/// <param name="Id">Increasing within the store; orders a job's history.</param>
/// <param name="JobId">The job it belongs to.</param>
/// <param name="At">When it happened, by the store's clock.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Attempt">The job's attempt number when it happened.</param>
/// <param name="Actor">Who caused it: a user id, a worker id, or <c>reaper</c>; null for the system.</param>
/// <param name="Message">A human-readable detail (an error, a reason, a log line).</param>
public sealed record JobEvent(long Id, long JobId, DateTimeOffset At, JobEventKind Kind, int Attempt, string? Actor, string? Message);

/// <summary>The kinds of history entry.</summary>
public enum JobEventKind
{
    /// <summary>The job was accepted.</summary>
    Enqueued = 0,

    /// <summary>A worker claimed the job and an attempt started.</summary>
    Started = 1,

    /// <summary>The handler reported progress.</summary>
    Progress = 2,

    /// <summary>The handler wrote a log line.</summary>
    Log = 3,

    /// <summary>The job succeeded.</summary>
    Succeeded = 4,

    /// <summary>An attempt failed with a transient error; the job will run again after a back-off.</summary>
    RetryScheduled = 5,

    /// <summary>The job failed permanently or ran out of attempts and was dead-lettered.</summary>
    Failed = 6,

    /// <summary>Someone asked to cancel the job while it ran.</summary>
    CancelRequested = 7,

    /// <summary>The job was cancelled.</summary>
    Cancelled = 8,

    /// <summary>A dead-lettered job was put back in its queue.</summary>
    Requeued = 9,

    /// <summary>The job's lease expired while it ran (its worker died or stalled); the reaper recovered it.</summary>
    Stuck = 10,

    /// <summary>The worker shut down and handed the job back without charging an attempt.</summary>
    Released = 11,

    /// <summary>A step of the handler finished and its result was stored; the message names it.</summary>
    StepCompleted = 12,

    /// <summary>The handler asked a question and the job now awaits input; the message names the key and the deadline.</summary>
    InputRequested = 13,

    /// <summary>Someone answered the job's question (the actor) and the job went back to its queue.</summary>
    InputReceived = 14,

    /// <summary>A question's deadline passed; the message says what its policy did (failed, default answer, asked again).</summary>
    InputTimedOut = 15,

    /// <summary>The handler asked to run again later; the job waits without using up an attempt. The message says for how long.</summary>
    Snoozed = 16,
}
