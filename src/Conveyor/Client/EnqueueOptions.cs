namespace Conveyor;

/// <summary>
/// Per-submission settings. Everything is optional: unset values come from the job type's options
/// (queue, priority, max attempts) or mean "none".
/// </summary>
public sealed record EnqueueOptions
{
    /// <summary>The priority; default: the job type's priority (normally <see cref="JobPriority.Normal"/>).</summary>
    public JobPriority? Priority { get; init; }

    /// <summary>Run no earlier than this instant. Exclusive with <see cref="Delay"/>.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Run no earlier than this long after submission; must not be negative. Exclusive with <see cref="RunAt"/>.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Send the job to this queue instead of the one its type routes to; the queue must be configured.</summary>
    public string? Queue { get; init; }

    /// <summary>
    /// Jobs with the same key start in order of the due time they were submitted with (then submission order),
    /// at most the job type's concurrency limit at a time (default 1). A job waiting for a retry holds back the
    /// jobs behind it.
    /// </summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>A repeated submission with the same key (within the tenant) returns the existing job instead of a new one.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The most attempts, at least 1; default: the job type's retry policy.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Free-form labels, usable as a list filter.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Who submits the job; default <see cref="JobPrincipal.System"/>.</summary>
    public JobPrincipal? Principal { get; init; }
}

/// <summary>One job of a batch submitted by kind name with a JSON payload.</summary>
/// <param name="Kind">The registered job type's name.</param>
/// <param name="Payload">The payload as JSON text; it must deserialise into the job type's payload type.</param>
/// <param name="Options">Per-job settings.</param>
public sealed record JobSubmission(string Kind, string Payload, EnqueueOptions? Options = null);

/// <summary>What a submission produced.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="State">The job's state right after the call.</param>
/// <param name="AlreadyExisted">True when the idempotency key, or the unique key of a job type unique for a period, matched an existing job, which is returned instead of a new one.</param>
public sealed record EnqueueResult(long JobId, JobState State, bool AlreadyExisted);
