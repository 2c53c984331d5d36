namespace Conveyor.Storage;

/// <summary>A job to insert, validated and routed by the client.</summary>
public sealed record NewJob
{
    /// <summary>The job type's name.</summary>
    public required string Kind { get; init; }

    /// <summary>The queue it goes to.</summary>
    public required string Queue { get; init; }

    /// <summary>Its priority.</summary>
    public JobPriority Priority { get; init; } = JobPriority.Normal;

    /// <summary>The payload as JSON text.</summary>
    public required string Payload { get; init; }

    /// <summary>An absolute due time; when null the job is due at the store's now plus <see cref="Delay"/>.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>A delay from the store's now; used when <see cref="RunAt"/> is null. Never negative.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>The most attempts, at least 1.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>Jobs sharing this key start in order, at most <see cref="ConcurrencyLimit"/> at a time.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>How many jobs with the same concurrency key may be active at once; 1 by default.</summary>
    public int ConcurrencyLimit { get; init; } = 1;

    /// <summary>Turns a repeated submission (same tenant, same key) into the existing job.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The key that makes the job unique for <see cref="UniquePeriod"/> within its tenant (computed by the client from the
    /// job type's <c>UniqueFor</c>); null for none. Given with <see cref="UniquePeriod"/>, never without.
    /// </summary>
    public string? UniqueKey { get; init; }

    /// <summary>
    /// How far back a job with the same tenant and <see cref="UniqueKey"/> blocks this one: the store returns a job
    /// created after its now minus this period, in any state but cancelled and failed, instead of inserting.
    /// </summary>
    public TimeSpan? UniquePeriod { get; init; }

    /// <summary>Who submitted it.</summary>
    public required JobPrincipal Principal { get; init; }

    /// <summary>Free-form labels.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The W3C <c>traceparent</c> of the submission, so the execution's trace links back to it; null when none.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The name of the limit governing the job; null when none does.</summary>
    public string? LimitName { get; init; }

    /// <summary>The job's limit key (the limit's name, or the name, <c>:</c> and the partition value); null when no limit governs it.</summary>
    public string? LimitKey { get; init; }
}

/// <summary>The bound of a queue: inserts that would make more than <paramref name="MaxWaiting"/> jobs wait are refused.</summary>
/// <param name="MaxWaiting">The most jobs that may wait (pending or scheduled) in the queue.</param>
/// <param name="RetryAfter">The hint given to a refused submitter.</param>
public sealed record QueueBound(int MaxWaiting, TimeSpan RetryAfter);

/// <summary>
/// The bound of each tenant: inserts that would give a tenant more than its bound of waiting jobs (pending or
/// scheduled, across all queues) are refused.
/// </summary>
/// <param name="MaxWaiting">The bound of every tenant without an override; null: those tenants are unbounded.</param>
/// <param name="RetryAfter">The hint given to a refused submitter.</param>
public sealed record TenantBound(int? MaxWaiting, TimeSpan RetryAfter)
{
    /// <summary>Bounds of single tenants, by tenant (<c>""</c> is the default tenant); a null value leaves that tenant unbounded.</summary>
    public IReadOnlyDictionary<string, int?>? Overrides { get; init; }

    /// <summary>The bound of <paramref name="tenant"/> (null or <c>""</c>: the default tenant); null when it is unbounded.</summary>
    public int? MaxWaitingFor(string? tenant) =>
        Overrides is not null && Overrides.TryGetValue(tenant ?? "", out var own) ? own : MaxWaiting;
}

/// <summary>Parameters of <see cref="IJobStore.JobsInsertAsync"/>.</summary>
/// <param name="Jobs">The jobs, inserted all or none.</param>
/// <param name="Bounds">The bounds of the queues that have one, by queue name.</param>
public sealed record JobsInsertParams(IReadOnlyList<NewJob> Jobs, IReadOnlyDictionary<string, QueueBound>? Bounds = null)
{
    /// <summary>The bound of each tenant; null when no tenant is bounded (the store then counts nothing).</summary>
    public TenantBound? TenantBound { get; init; }
}

/// <summary>The outcome of inserting one job.</summary>
/// <param name="JobId">The new job's id, or the existing job's id when the idempotency key or the unique key matched.</param>
/// <param name="State">The job's state after the call.</param>
/// <param name="Existing">True when the idempotency key or the unique key matched an existing job and nothing was inserted.</param>
public sealed record JobInsertResult(long JobId, JobState State, bool Existing);

/// <summary>Parameters of <see cref="IJobStore.JobsClaimAsync"/>.</summary>
/// <param name="Queue">The queue to claim from.</param>
/// <param name="Limit">The most jobs to claim; the worker's free slots.</param>
/// <param name="WorkerId">Who claims, recorded on the job and in its history.</param>
/// <param name="LeaseDuration">How long the lease lasts without a heartbeat.</param>
/// <param name="CompleteFirst">
/// Attempts this worker finished, to be completed before the claim exactly as <see cref="IJobStore.JobsCompleteAsync"/>
/// would (fenced, with their events and signals); their slots are among the <paramref name="Limit"/>. Null or empty
/// for none.
/// </param>
public sealed record JobsClaimParams(string Queue, int Limit, string WorkerId, TimeSpan LeaseDuration, IReadOnlyList<JobCompletion>? CompleteFirst = null)
{
    /// <summary>
    /// The configured limits, enforced inside the claim: a job whose limit key belongs to one of them starts only while
    /// its key has fewer than <see cref="LimitDefinition.MaxRunning"/> running jobs and fewer than
    /// <see cref="LimitDefinition.RateCount"/> starts in the window; throttled jobs are passed over so that others
    /// start. A job whose limit is not among them is unthrottled. Null or empty: no limits (the store's fast path).
    /// </summary>
    public IReadOnlyList<LimitDefinition>? Limits { get; init; }
}

/// <summary>A job a worker now holds.</summary>
public sealed record ClaimedJob
{
    /// <summary>The job's id.</summary>
    public required long Id { get; init; }

    /// <summary>The job type's name.</summary>
    public required string Kind { get; init; }

    /// <summary>Its queue.</summary>
    public required string Queue { get; init; }

    /// <summary>Its priority.</summary>
    public required JobPriority Priority { get; init; }

    /// <summary>The payload as JSON text.</summary>
    public required string Payload { get; init; }

    /// <summary>This attempt's number, starting at 1.</summary>
    public required int Attempt { get; init; }

    /// <summary>The most attempts.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>The fencing token every later write about this attempt must name.</summary>
    public required long LeaseToken { get; init; }

    /// <summary>When the lease ends without a heartbeat.</summary>
    public required DateTimeOffset LeaseExpiresAt { get; init; }

    /// <summary>Who submitted the job.</summary>
    public required JobPrincipal Principal { get; init; }

    /// <summary>The concurrency key, if any.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>When the job was submitted.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The W3C <c>traceparent</c> the job was submitted under, if any.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>A held lease: the job and the token of the claim that granted it.</summary>
/// <param name="JobId">The job.</param>
/// <param name="LeaseToken">The token from the claim.</param>
public readonly record struct JobLease(long JobId, long LeaseToken);

/// <summary>Parameters of <see cref="IJobStore.JobsHeartbeatAsync"/>.</summary>
/// <param name="Leases">The leases to extend.</param>
/// <param name="LeaseDuration">The new lease length, counted from the store's now.</param>
public sealed record JobsHeartbeatParams(IReadOnlyList<JobLease> Leases, TimeSpan LeaseDuration);

/// <summary>The outcome of a heartbeat.</summary>
/// <param name="Lost">Jobs whose lease is no longer this worker's: their handlers must stop and write nothing.</param>
/// <param name="CancelRequested">Jobs still held whose cancellation someone requested.</param>
public sealed record JobsHeartbeatResult(IReadOnlyList<long> Lost, IReadOnlyList<long> CancelRequested);

/// <summary>Parameters of <see cref="IJobStore.JobProgressSetAsync"/>.</summary>
/// <param name="Lease">The lease the write is fenced by.</param>
/// <param name="Progress">The progress to record.</param>
public sealed record JobProgressSetParams(JobLease Lease, JobProgress Progress)
{
    /// <summary>Keep the stored percentage and replace only the phase and message (a step starting sets its phase this way).</summary>
    public bool KeepPercent { get; init; }
}

/// <summary>Parameters of <see cref="IJobStore.JobLogAppendAsync"/>.</summary>
/// <param name="Lease">The lease the write is fenced by.</param>
/// <param name="Message">The log line.</param>
public sealed record JobLogAppendParams(JobLease Lease, string Message);

/// <summary>How an attempt ended.</summary>
public enum JobOutcome
{
    /// <summary>The handler finished: the job succeeds and stores its result and artefacts.</summary>
    Succeeded,

    /// <summary>A transient failure with attempts left: the job waits <see cref="JobCompletion.RetryDelay"/> and runs again.</summary>
    Retry,

    /// <summary>A permanent failure or the last attempt failed: the job is dead-lettered.</summary>
    Failed,

    /// <summary>The handler stopped because its cancellation was requested.</summary>
    Cancelled,

    /// <summary>The worker shut down: the job goes back to pending and the attempt is not charged.</summary>
    Released,

    /// <summary>
    /// The handler asked to run again later (<see cref="JobContext.Snooze(TimeSpan)"/>): the job waits
    /// <see cref="JobCompletion.RetryDelay"/> and the attempt is not charged.
    /// </summary>
    Snoozed,
}

/// <summary>The end of one attempt, fenced by its lease.</summary>
public sealed record JobCompletion
{
    /// <summary>The lease the write is fenced by.</summary>
    public required JobLease Lease { get; init; }

    /// <summary>How the attempt ended.</summary>
    public required JobOutcome Outcome { get; init; }

    /// <summary>The result as JSON text, for <see cref="JobOutcome.Succeeded"/>.</summary>
    public string? Result { get; init; }

    /// <summary>Artefacts, for <see cref="JobOutcome.Succeeded"/>.</summary>
    public IReadOnlyList<JobArtifact>? Artifacts { get; init; }

    /// <summary>The error, for <see cref="JobOutcome.Retry"/> and <see cref="JobOutcome.Failed"/>.</summary>
    public string? Error { get; init; }

    /// <summary>The wait before the next attempt: the back-off for <see cref="JobOutcome.Retry"/>, the delay asked for by <see cref="JobOutcome.Snoozed"/>.</summary>
    public TimeSpan RetryDelay { get; init; }

    /// <summary>
    /// The history event's message when the attempt ended without an error (a snooze says for how long). Unlike
    /// <see cref="Error"/>, it is never stored as the job's last error. A success's event has no message.
    /// </summary>
    public string? Message { get; init; }

    /// <summary>Who ends the attempt (the worker id), recorded in the history.</summary>
    public string? Actor { get; init; }

    /// <summary>
    /// True for a success that records nothing but itself (no result, artefacts, error or message): the common case,
    /// which a store may write through a narrower statement.
    /// </summary>
    public bool IsPlainSuccess =>
        Outcome == JobOutcome.Succeeded && Result is null && Artifacts is not { Count: > 0 } && Error is null && Message is null;
}

/// <summary>Parameters of <see cref="IJobStore.JobsCompleteAsync"/>.</summary>
/// <param name="Completions">The attempts to finish, in one transaction.</param>
public sealed record JobsCompleteParams(IReadOnlyList<JobCompletion> Completions);

/// <summary>Parameters of <see cref="IJobStore.JobsReapAsync"/>.</summary>
/// <param name="Limit">The most jobs to recover in one call.</param>
public sealed record JobsReapParams(int Limit);

/// <summary>A stuck job the reaper recovered.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="State">Its new state: pending; failed when attempts were exhausted; cancelled when a cancellation was requested.</param>
/// <param name="Attempt">The attempt that got stuck.</param>
public sealed record ReapedJob(long JobId, string Queue, JobState State, int Attempt);

/// <summary>Parameters of <see cref="IJobStore.JobCancelAsync"/>.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Actor">Who cancels, recorded in the history.</param>
public sealed record JobCancelParams(long JobId, string? Actor);

/// <summary>Parameters of <see cref="IJobStore.JobRequeueAsync"/>.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Actor">Who requeues, recorded in the history.</param>
public sealed record JobRequeueParams(long JobId, string? Actor);

/// <summary>Parameters of <see cref="IJobStore.JobEventsListAsync"/>.</summary>
/// <param name="JobId">The job.</param>
/// <param name="AfterEventId">Only events after this id (0 for all).</param>
/// <param name="Limit">The most events to return.</param>
public sealed record JobEventsListParams(long JobId, long AfterEventId = 0, int Limit = 1000);

/// <summary>Parameters of <see cref="IJobStore.QueueSetPausedAsync"/>.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Paused">True to pause, false to resume.</param>
/// <param name="Actor">Who pauses or resumes, kept with the queue and shown while it is paused.</param>
public sealed record QueueSetPausedParams(string Queue, bool Paused, string? Actor = null);

/// <summary>Parameters of <see cref="IJobStore.JobsPurgeAsync"/>: how long each terminal state is kept, and the batch size.</summary>
/// <remarks>
/// Ages are durations counted back from the store's now; a job is purged once its <c>finished_at</c> is earlier
/// than now minus the age of its state. A null age keeps that state's jobs forever. Preconditions (the store
/// throws <see cref="ArgumentOutOfRangeException"/> otherwise): every age given is between zero and
/// <see cref="RetentionOptions.MaxAge"/>, and <paramref name="Limit"/> is at least 1.
/// </remarks>
/// <param name="SucceededFor">How long succeeded jobs are kept; null keeps them forever.</param>
/// <param name="FailedFor">How long failed (dead-lettered) jobs are kept; null keeps them forever.</param>
/// <param name="CancelledFor">How long cancelled jobs are kept; null keeps them forever.</param>
/// <param name="Limit">The most jobs to purge in this call (one short transaction).</param>
public sealed record JobsPurgeParams(TimeSpan? SucceededFor, TimeSpan? FailedFor, TimeSpan? CancelledFor, int Limit)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a precondition does not hold; stores call it first.</summary>
    public void Validate()
    {
        CheckAge(SucceededFor, nameof(SucceededFor));
        CheckAge(FailedFor, nameof(FailedFor));
        CheckAge(CancelledFor, nameof(CancelledFor));
        ArgumentOutOfRangeException.ThrowIfLessThan(Limit, 1, nameof(Limit));
    }

    private static void CheckAge(TimeSpan? age, string name)
    {
        if (age is { } a && (a < TimeSpan.Zero || a > RetentionOptions.MaxAge))
            throw new ArgumentOutOfRangeException(name, a, $"An age must be between zero and {RetentionOptions.MaxAge.TotalDays:0} days; null keeps the state's jobs forever.");
    }
}

/// <summary>Parameters of <see cref="IJobStore.LeaderTryAcquireAsync"/>.</summary>
/// <remarks>
/// Preconditions: <paramref name="Name"/> and <paramref name="Holder"/> are not empty, and <paramref name="Ttl"/>
/// is greater than zero and at most 30 days (the store throws <see cref="ArgumentException"/> otherwise).
/// </remarks>
/// <param name="Name">The leadership to take, such as <c>retention</c>: one holder at a time per name.</param>
/// <param name="Holder">Who takes it: a stable id of the process (the worker id).</param>
/// <param name="Ttl">How long the leadership lasts, from the store's now, unless the holder renews it.</param>
public sealed record LeaderAcquireParams(string Name, string Holder, TimeSpan Ttl)
{
    /// <summary>Throws <see cref="ArgumentException"/> when a precondition does not hold; stores call it first.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Name, nameof(Name));
        ArgumentException.ThrowIfNullOrEmpty(Holder, nameof(Holder));
        if (Ttl <= TimeSpan.Zero || Ttl > TimeSpan.FromDays(30))
            throw new ArgumentOutOfRangeException(nameof(Ttl), Ttl, "The TTL must be greater than zero and at most 30 days.");
    }
}

/// <summary>Parameters of <see cref="IJobStore.LeaderReleaseAsync"/>.</summary>
/// <param name="Name">The leadership to give up.</param>
/// <param name="Holder">Who gives it up; only the current holder can.</param>
public sealed record LeaderReleaseParams(string Name, string Holder);
