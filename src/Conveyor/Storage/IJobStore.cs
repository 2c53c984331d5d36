namespace Conveyor.Storage;

/// <summary>
/// The store contract: the only way the engine reads or changes durable state. <c>docs/contract.md</c> is
/// the binding description; every implementation must pass the conformance suite in
/// <c>tests/Conveyor.StoreTests</c>.
/// </summary>
/// <remarks>
/// This is a service-provider interface for store authors; it may change between minor versions.
/// Applications use <see cref="IJobClient"/> instead. The store owns the clock: every "now" is the store's
/// (its <see cref="TimeProvider"/>, or the database's clock), and callers pass durations, not instants,
/// wherever a time is relative.
/// </remarks>
public interface IJobStore : IAsyncDisposable
{
    /// <summary>In-process notifications the store raises after it commits a change workers care about.</summary>
    StoreSignals Signals { get; }

    /// <summary>
    /// Creates or upgrades the schema to the version this store knows. Idempotent; safe to call from several
    /// processes at once. Refuses a database whose schema is newer than the code.
    /// </summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Inserts jobs atomically: all or none. A job whose (tenant, idempotency key) already exists is not
    /// inserted; its existing id is returned with <see cref="JobInsertResult.Existing"/> set. Otherwise a job with a
    /// <see cref="NewJob.UniqueKey"/> whose tenant has a job of that key created within <see cref="NewJob.UniquePeriod"/>
    /// of now, neither failed nor cancelled, is not inserted either: that job is returned the same way (the newest, if
    /// several). Concurrent inserts of one (tenant, unique key) behave as if they ran one after another.
    /// </summary>
    /// <exception cref="IdempotencyConflictException">A key exists with a different kind or payload; nothing is inserted.</exception>
    /// <exception cref="QueueFullException">A bounded queue would exceed its bound; nothing is inserted.</exception>
    /// <exception cref="TenantFullException">A bounded tenant would exceed its bound; nothing is inserted.</exception>
    Task<IReadOnlyList<JobInsertResult>> JobsInsertAsync(JobsInsertParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <see cref="JobsClaimParams.Limit"/> ready jobs of one queue in one atomic step: priority
    /// first, then run_at, then id; skips a paused queue, and a job with a concurrency key unless the key's
    /// active jobs plus its waiting jobs ordered before this one number fewer than the job's concurrency limit. Each claimed job becomes running, its attempt and lease token grow by
    /// one, its lease ends after the lease duration, and a <see cref="JobEventKind.Started"/> event is written.
    /// Returns an empty list when nothing is ready. Completions passed in <see cref="JobsClaimParams.CompleteFirst"/>
    /// are applied first, as <see cref="JobsCompleteAsync"/> applies them, so that a finished job's key is free for
    /// the claim; a store may commit both in one transaction (the worker then pays one commit, not two).
    /// </summary>
    Task<IReadOnlyList<ClaimedJob>> JobsClaimAsync(JobsClaimParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Extends the leases named by (job, token). A lease whose token is stale or whose job is no longer running
    /// is reported lost and changes nothing. Also reports the jobs whose cancellation was requested.
    /// </summary>
    Task<JobsHeartbeatResult> JobsHeartbeatAsync(JobsHeartbeatParams parameters, CancellationToken cancellationToken);

    /// <summary>Records progress (and its event) when the lease token is current; returns false, changing nothing, when it is not.</summary>
    Task<bool> JobProgressSetAsync(JobProgressSetParams parameters, CancellationToken cancellationToken);

    /// <summary>Appends a log line to the job's history when the lease token is current; returns false, changing nothing, when it is not.</summary>
    Task<bool> JobLogAppendAsync(JobLogAppendParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes attempts in one transaction: each completion applies only when its job is running under the
    /// named lease token (fencing) and writes its event. A retry or release of a job whose cancellation was
    /// requested ends it cancelled instead, so a cancellation is never lost. Returns the ids whose completion
    /// applied; the others changed nothing because their worker had lost the lease.
    /// </summary>
    Task<IReadOnlyList<long>> JobsCompleteAsync(JobsCompleteParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Recovers running jobs whose lease expired: back to pending (the attempt stays counted), to failed when
    /// attempts are exhausted, or to cancelled when a cancellation had been requested; each with a
    /// <see cref="JobEventKind.Stuck"/> event. One conditional statement, so
    /// concurrent reapers cannot recover a job twice.
    /// </summary>
    Task<IReadOnlyList<ReapedJob>> JobsReapAsync(JobsReapParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels a waiting job at once, or flags a running one so its worker cancels the handler. A finished job
    /// is left alone. Writes the event with the actor.
    /// </summary>
    Task<JobCancelResult> JobCancelAsync(JobCancelParams parameters, CancellationToken cancellationToken);

    /// <summary>Puts a failed (dead-lettered) job back to pending with a fresh attempt budget, with an event naming the actor.</summary>
    Task<JobRequeueResult> JobRequeueAsync(JobRequeueParams parameters, CancellationToken cancellationToken);

    /// <summary>Reads one job, or null when no job has that id.</summary>
    Task<JobInfo?> JobGetAsync(long jobId, CancellationToken cancellationToken);

    /// <summary>Lists jobs matching a filter, newest first, one page at a time.</summary>
    Task<JobPage> JobsListAsync(JobQuery query, CancellationToken cancellationToken);

    /// <summary>Reads a job's history in order; an unknown job has an empty history.</summary>
    Task<IReadOnlyList<JobEvent>> JobEventsListAsync(JobEventsListParams parameters, CancellationToken cancellationToken);

    /// <summary>Pauses or resumes a queue: a paused queue keeps accepting jobs but none is claimed from it.</summary>
    Task QueueSetPausedAsync(QueueSetPausedParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Counts the jobs of every queue that has jobs or a stored paused flag: pending (ready by the store's now),
    /// scheduled, running, awaiting input and failed, the age of the oldest ready job (now minus its run_at), and
    /// whether it is paused. Ordered by name.
    /// </summary>
    Task<IReadOnlyList<QueueInfo>> QueuesListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reports, for every key of the given limits that has running jobs, ready jobs (pending and due by the store's
    /// now) or starts in the limit's current rate window: those three counts. Keys of limits not given are left out.
    /// Ordered by limit, then key. Read-only; counts are a consistent snapshot on stores that offer one.
    /// </summary>
    Task<IReadOnlyList<LimitKeyStatus>> LimitsListAsync(LimitsListParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <see cref="LimitStartsPurgeParams.Limit"/> recorded starts of rate-limited keys that began before the
    /// store's now minus <see cref="LimitStartsPurgeParams.OlderThan"/>, and returns how many. The claim prunes the
    /// windows of the keys it looks at; this removes those of keys no claim looks at again (a tenant or payload value that
    /// stopped submitting, a limit removed from configuration).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="LimitStartsPurgeParams.OlderThan"/> is negative or the limit is below 1.</exception>
    Task<int> LimitStartsPurgeAsync(LimitStartsPurgeParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Counts jobs by state (scheduled told apart from pending by the store's now) overall and per kind, counts
    /// stuck jobs (running with an expired lease), and measures the run time (finished_at minus started_at) of jobs
    /// that succeeded within <see cref="StatsGetParams.DurationWindow"/>: mean and nearest-rank 95th percentile.
    /// </summary>
    Task<JobStats> StatsGetAsync(StatsGetParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Reads the change feed: history events of every job with an id above <see cref="EventsFeedParams.AfterEventId"/>,
    /// in id order, each with its job's kind, queue and owner. Events of purged jobs are gone. A store whose ids can
    /// commit out of order (PostgreSQL sequences) may return an id above one that becomes visible later; readers
    /// handle such gaps (see <c>docs/contract.md</c>).
    /// </summary>
    Task<IReadOnlyList<FeedEvent>> EventsFeedAsync(EventsFeedParams parameters, CancellationToken cancellationToken);

    /// <summary>The id of the newest history event (0 when there is none): where a reader that wants only what comes next starts.</summary>
    Task<long> EventsLatestIdAsync(CancellationToken cancellationToken);

    /// <summary>Reads a job's finished steps (<see cref="JobStep"/>), in the order they finished; empty for an unknown job.</summary>
    Task<IReadOnlyList<JobStep>> JobStepsListAsync(long jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a finished step's result, with a <see cref="JobEventKind.StepCompleted"/> event, when the lease token is
    /// current; returns false, changing nothing, when it is not. A step already stored under the name keeps its result.
    /// </summary>
    Task<bool> JobStepSaveAsync(JobStepSaveParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Suspends a running attempt on a question, in one transaction fenced by the lease: records the interaction
    /// (pending, deadline = now + timeout; one per job and key: an expired or cancelled one of the key is asked afresh,
    /// an answered one is left alone), moves the job to awaiting input without charging the attempt (attempt − 1, as a
    /// release does), clears the lease, and writes <see cref="JobEventKind.InputRequested"/>. A job whose cancellation
    /// was requested ends cancelled instead, its interaction cancelled. A stale lease changes nothing.
    /// </summary>
    Task<JobSuspendOutcome> JobSuspendAsync(JobSuspendParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Records an answer in one transaction, conditional on the interaction being pending, so that of two racing answers
    /// exactly one applies: the answer and its actor, the job from awaiting input to pending (run_at = now) with a
    /// <see cref="JobEventKind.InputReceived"/> event, and the signal that wakes its queue. Returns
    /// <see cref="InteractionAnswerOutcome.Answered"/>, <see cref="InteractionAnswerOutcome.AlreadyAnswered"/>,
    /// <see cref="InteractionAnswerOutcome.Closed"/> or <see cref="InteractionAnswerOutcome.NotFound"/>; the caller
    /// validates the answer and checks who may give it first.
    /// </summary>
    Task<InteractionAnswerOutcome> InteractionAnswerAsync(InteractionAnswerParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Applies the time-out policy of up to <see cref="InteractionsExpireParams.Limit"/> pending interactions whose
    /// deadline passed, in one conditional statement (or transaction), so that a time-out fires once however many
    /// sweepers run: fail (interaction expired, job failed), use the default (answered by <c>timeout</c>, job pending)
    /// or re-ask (a new deadline, escalations + 1; after the maximum, fail). Each writes
    /// <see cref="JobEventKind.InputTimedOut"/> (and <see cref="JobEventKind.Failed"/> when the job fails).
    /// </summary>
    Task<IReadOnlyList<ExpiredInteraction>> InteractionsExpireAsync(InteractionsExpireParams parameters, CancellationToken cancellationToken);

    /// <summary>Reads one interaction, or null when none has that id.</summary>
    Task<InteractionInfo?> InteractionGetAsync(long interactionId, CancellationToken cancellationToken);

    /// <summary>Lists interactions matching a filter, newest first, one page at a time.</summary>
    Task<InteractionPage> InteractionsListAsync(InteractionQuery query, CancellationToken cancellationToken);

    /// <summary>Stores a new API key; the store stamps <see cref="ApiKeyRecord.CreatedAt"/>.</summary>
    /// <exception cref="InvalidOperationException">A key with the same id exists.</exception>
    Task ApiKeyInsertAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Reads one API key by id (revoked ones too); null when none has that id.</summary>
    Task<ApiKeyRecord?> ApiKeyGetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Lists every API key, revoked ones too, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ApiKeysListAsync(CancellationToken cancellationToken);

    /// <summary>Revokes a key at the store's now; true when it was valid, false when it is unknown or already revoked.</summary>
    Task<bool> ApiKeyRevokeAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <see cref="JobsPurgeParams.Limit"/> finished jobs (succeeded, failed or cancelled) whose
    /// finish is older than the store's now minus the age given for their state, oldest finish first, together
    /// with their history events, in one short transaction (or one statement): a job and its events go together
    /// or not at all. Waiting, running and awaiting jobs are never purged, nor are states whose age is null.
    /// Purging frees each job's idempotency key. Rows another transaction holds locked may be skipped and are
    /// purged by a later call. Returns how many jobs were purged: 0 when nothing is old enough; fewer than the
    /// limit when the call found no more.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An age is negative or above <see cref="RetentionOptions.MaxAge"/>, or the limit is below 1.</exception>
    Task<int> JobsPurgeAsync(JobsPurgeParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Takes or renews a named leadership in one atomic statement: succeeds when nobody holds the name, when the
    /// holder's leadership expired (its end is before the store's now), or when <see cref="LeaderAcquireParams.Holder"/>
    /// already holds it (then it is extended). On success the leadership ends at now plus the TTL and the call
    /// returns true; otherwise nothing changes and it returns false. Concurrent callers on any number of nodes
    /// never both succeed for the same name while the leadership is live.
    /// </summary>
    /// <exception cref="ArgumentException">The name or holder is empty, or the TTL is not above zero or exceeds 30 days.</exception>
    Task<bool> LeaderTryAcquireAsync(LeaderAcquireParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Gives up a leadership at once, so another holder can take it without waiting for it to expire. Applies
    /// only when <see cref="LeaderReleaseParams.Holder"/> holds the name (even if its leadership already
    /// expired); returns true then, and false, changing nothing, when someone else or nobody holds it.
    /// </summary>
    Task<bool> LeaderReleaseAsync(LeaderReleaseParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts a schedule, or replaces the definition of the one with its name. The next fire time is set to
    /// <see cref="ScheduleUpsertParams.NextFireAt"/> when the schedule is new or its expression or time zone changed, and
    /// kept otherwise; a pause (and who paused) is kept; <c>created_at</c> is kept. Returns the stored schedule.
    /// </summary>
    Task<ScheduleInfo> ScheduleUpsertAsync(ScheduleUpsertParams parameters, CancellationToken cancellationToken);

    /// <summary>Reads one schedule, or null when none has that name.</summary>
    Task<ScheduleInfo?> ScheduleGetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Lists every schedule, ordered by name.</summary>
    Task<IReadOnlyList<ScheduleInfo>> SchedulesListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Pauses a schedule (no tick is due while paused; the actor is kept) or resumes it (the pause and actor are cleared
    /// and the next fire time becomes <see cref="ScheduleSetPausedParams.NextFireAt"/>, so ticks that fell in the pause
    /// never fire). Returns the schedule after the change, or null, changing nothing, when none has that name.
    /// </summary>
    Task<ScheduleInfo?> ScheduleSetPausedAsync(ScheduleSetPausedParams parameters, CancellationToken cancellationToken);

    /// <summary>Deletes a schedule; its jobs stay (their schedule name too). Returns false when none has that name.</summary>
    Task<bool> ScheduleDeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Lists up to <see cref="SchedulesDueParams.Limit"/> schedules that are not paused and whose next fire time is at or
    /// before the store's now, earliest first, with that now and the earliest next fire time still ahead (so the
    /// scheduler knows how long it may sleep).
    /// </summary>
    Task<SchedulesDueResult> SchedulesDueAsync(SchedulesDueParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Fires a schedule, in one transaction: a compare-and-set of the next fire time from
    /// <see cref="ScheduleFireParams.Expected"/> to <see cref="ScheduleFireParams.Next"/> (only while the schedule exists,
    /// is not paused and still holds the expected value), then one job per tick, each with the idempotency key
    /// <see cref="ScheduleFireParams.TickKey"/> in the default tenant, linked to the schedule (<see cref="JobInfo.Schedule"/>)
    /// and with an <see cref="JobEventKind.Enqueued"/> event naming the schedule and the tick; then the latest tick and job
    /// are recorded on the schedule. With <see cref="ScheduleFireParams.SkipWhileActive"/>, while the schedule's latest job
    /// is still waiting, running or awaiting input (checked under the same transaction) the next fire time moves but no
    /// job is inserted. Of any number of callers racing with the same expected value, on any number of nodes, exactly one
    /// applies; the others change nothing and get <see cref="ScheduleFireResult.Applied"/> false. Queue bounds do not apply.
    /// </summary>
    Task<ScheduleFireResult> ScheduleFireAsync(ScheduleFireParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts one job for a schedule now (a manual trigger), linked to it and recorded as its latest job, with an event
    /// naming the schedule and the actor; the next fire time does not move. Returns null, inserting nothing, when no
    /// schedule has that name. Works on a paused schedule too.
    /// </summary>
    Task<JobInsertResult?> ScheduleTriggerAsync(ScheduleTriggerParams parameters, CancellationToken cancellationToken);
}
