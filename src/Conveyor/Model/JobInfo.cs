namespace Conveyor;

/// <summary>
/// A snapshot of one job as the store holds it. Every timestamp is stamped by the engine, never by a handler.
/// </summary>
public sealed record JobInfo
{
    /// <summary>The job's id, unique in its store and increasing in submission order.</summary>
    public required long Id { get; init; }

    /// <summary>The job type's stable name (for example <c>report.generate</c>).</summary>
    public required string Kind { get; init; }

    /// <summary>The queue the job waits in.</summary>
    public required string Queue { get; init; }

    /// <summary>The job's state, with <see cref="JobState.Scheduled"/> derived from <see cref="RunAt"/> and the store's clock.</summary>
    public required JobState State { get; init; }

    /// <summary>The job's priority within its queue.</summary>
    public required JobPriority Priority { get; init; }

    /// <summary>The payload as JSON text.</summary>
    public required string Payload { get; init; }

    /// <summary>When the job is (or was) due to run.</summary>
    public required DateTimeOffset RunAt { get; init; }

    /// <summary>The attempts charged so far: 0 before the first claim; a shutdown release gives its attempt back and a requeue starts again from 0.</summary>
    public required int Attempt { get; init; }

    /// <summary>The most attempts the job may make before it is dead-lettered.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>The concurrency key: jobs sharing it start one at a time (or up to their limit) in order.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>The idempotency key the job was submitted with, if any.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Who submitted the job.</summary>
    public required JobPrincipal Principal { get; init; }

    /// <summary>The name of the recurring schedule that inserted the job (a tick or a manual trigger); null for any other job.</summary>
    public string? Schedule { get; init; }

    /// <summary>Free-form labels given at submission.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>The latest progress the handler reported, if any.</summary>
    public JobProgress? Progress { get; init; }

    /// <summary>The result the handler set, as JSON text, once the job succeeded.</summary>
    public string? Result { get; init; }

    /// <summary>The artefacts the handler recorded, once the job succeeded.</summary>
    public required IReadOnlyList<JobArtifact> Artifacts { get; init; }

    /// <summary>The error of the latest failed attempt, if any.</summary>
    public string? LastError { get; init; }

    /// <summary>True when someone asked to cancel the job while it ran and its handler has not stopped yet.</summary>
    public bool CancelRequested { get; init; }

    /// <summary>When the job was submitted.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the job's row last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When its latest attempt started, if it ever ran.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it reached a terminal state, if it did.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When the current lease ends, while <see cref="State"/> is <see cref="JobState.Running"/>.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
}

/// <summary>Progress a handler reported.</summary>
/// <param name="Percent">0 to 100, or null when unknown.</param>
/// <param name="Phase">The phase the job is in (for example <c>draft</c>).</param>
/// <param name="Message">A short human-readable line.</param>
public sealed record JobProgress(double? Percent, string? Phase, string? Message);

/// <summary>Something a job produced and left elsewhere: a file path, a URL, a blob reference.</summary>
/// <param name="Name">A short name for the artefact.</param>
/// <param name="Location">Where it is: a path, a URI or any reference the reader understands.</param>
/// <param name="ContentType">Its media type, if known.</param>
public sealed record JobArtifact(string Name, string Location, string? ContentType = null);
