namespace Conveyor;

/// <summary>
/// Submits, reads and manages jobs. Registered by <c>AddConveyor</c>; safe to use from any thread, with or
/// without the worker host running in the same process.
/// </summary>
/// <remarks>
/// Every submission is validated before anything is stored: unknown job type, payload that does not serialise
/// or exceeds <see cref="ConveyorOptions.MaxPayloadBytes"/>, run-at together with a delay, negative delay, max
/// attempts below 1, unknown priority or queue, keys over 255 characters, more than 32 tags or a tag over 64
/// characters. An invalid one raises <see cref="JobValidationException"/> naming the field. A batch is stored
/// all or none.
/// </remarks>
public interface IJobClient
{
    /// <summary>Submits one job whose kind is the one registered for <typeparamref name="TPayload"/>.</summary>
    /// <exception cref="JobValidationException">The submission is invalid.</exception>
    /// <exception cref="QueueFullException">The queue is bounded and full.</exception>
    /// <exception cref="TenantFullException">The submitter's tenant already has as many waiting jobs as its bound allows.</exception>
    /// <exception cref="IdempotencyConflictException">The idempotency key belongs to a job with another kind or payload.</exception>
    Task<EnqueueResult> EnqueueAsync<TPayload>(TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Submits one job by kind name with a JSON payload (for gateways such as an HTTP API).</summary>
    /// <inheritdoc cref="EnqueueAsync{TPayload}(TPayload, EnqueueOptions?, CancellationToken)" path="/exception" />
    Task<EnqueueResult> EnqueueJsonAsync(string kind, string payloadJson, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Submits many jobs of one type in one transaction: all are stored or none.</summary>
    /// <inheritdoc cref="EnqueueAsync{TPayload}(TPayload, EnqueueOptions?, CancellationToken)" path="/exception" />
    Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync<TPayload>(IEnumerable<TPayload> payloads, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Submits a batch of jobs by kind name in one transaction: all are stored or none.</summary>
    /// <inheritdoc cref="EnqueueAsync{TPayload}(TPayload, EnqueueOptions?, CancellationToken)" path="/exception" />
    Task<IReadOnlyList<EnqueueResult>> EnqueueBatchAsync(IEnumerable<JobSubmission> submissions, CancellationToken cancellationToken = default);

    /// <summary>Reads one job; null when it does not exist.</summary>
    Task<JobInfo?> GetAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Lists jobs matching a filter, newest first, a page at a time.</summary>
    /// <exception cref="JobValidationException">The page size is out of range or the cursor is malformed.</exception>
    Task<JobPage> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Reads a job's history, oldest first.</summary>
    Task<IReadOnlyList<JobEvent>> GetHistoryAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Cancels a waiting job at once, or signals a running job's handler to stop.</summary>
    Task<JobCancelResult> CancelAsync(long jobId, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>Moves a failed (dead-lettered) job back to pending with a fresh attempt budget.</summary>
    Task<JobRequeueResult> RequeueAsync(long jobId, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists every configured queue and every queue that holds jobs, with its counts, the age of its oldest ready
    /// job and whether it is paused. Ordered by name.
    /// </summary>
    Task<IReadOnlyList<QueueInfo>> ListQueuesAsync(CancellationToken cancellationToken = default);

    /// <summary>Every configured limit, ordered by name, with the running and ready jobs and window starts of each of its keys.</summary>
    Task<IReadOnlyList<LimitInfo>> ListLimitsAsync(CancellationToken cancellationToken = default);

    /// <summary>Pauses a queue (it keeps accepting jobs, none is claimed) or resumes it; <paramref name="actor"/> is kept with the queue.</summary>
    /// <exception cref="JobValidationException">The queue is neither configured nor known to the store.</exception>
    Task SetQueuePausedAsync(string queue, bool paused, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts jobs by state and type, counts stuck jobs, and measures the run time of jobs that succeeded within
    /// <paramref name="durationWindow"/> (default one hour). <paramref name="tenant"/> and <paramref name="user"/>
    /// narrow the counts to one owner.
    /// </summary>
    Task<JobStats> GetStatsAsync(string? tenant = null, string? user = null, TimeSpan? durationWindow = null, CancellationToken cancellationToken = default);

    /// <summary>Reads one question a job asked; null when none has that id. Visibility (tenant, user) is the caller's to enforce with <see cref="InteractionInfo.Tenant"/> and <see cref="InteractionInfo.User"/>.</summary>
    Task<InteractionInfo?> GetInteractionAsync(long interactionId, CancellationToken cancellationToken = default);

    /// <summary>Lists questions (an inbox: <c>State = Pending</c> with the caller's tenant and user), newest first, a page at a time.</summary>
    /// <exception cref="JobValidationException">The page size is out of range or the cursor is malformed.</exception>
    Task<InteractionPage> ListInteractionsAsync(InteractionQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Answers a question as <paramref name="actor"/>: checks that the actor may answer
    /// (<see cref="InteractionInfo.MayAnswer"/>; <see cref="InteractionAnswerOutcome.NotAllowed"/> otherwise), validates
    /// the answer against the prompt, then records it and puts the job back in its queue, in one transaction that
    /// applies only while the question is pending: of two racing answers exactly one is
    /// <see cref="InteractionAnswerOutcome.Answered"/>, the other <see cref="InteractionAnswerOutcome.AlreadyAnswered"/>.
    /// </summary>
    /// <param name="interactionId">The question.</param>
    /// <param name="answerJson">A JSON object with a property per question id (see <see cref="InteractionPrompt"/>).</param>
    /// <param name="actor">Who answers; recorded as the answerer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="JobValidationException">The answer does not fit the prompt; the field names the question (<c>answer.scope</c>).</exception>
    Task<InteractionAnswerResult> AnswerAsync(long interactionId, string answerJson, JobPrincipal actor, CancellationToken cancellationToken = default);

    /// <summary>Lists every recurring schedule (defined in code or through the API), ordered by name.</summary>
    Task<IReadOnlyList<ScheduleInfo>> ListSchedulesAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one schedule; null when none has that name.</summary>
    Task<ScheduleInfo?> GetScheduleAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a schedule, or replaces the one with its name (its next tick is recomputed when the expression or zone
    /// changed; a pause is kept). The schedule is marked as defined through the API.
    /// </summary>
    /// <exception cref="JobValidationException">The definition breaks a rule; the field names it (<c>cron</c>, <c>timeZone</c>, <c>kind</c>, <c>payload</c>, ...).</exception>
    Task<ScheduleInfo> AddScheduleAsync(ScheduleDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pauses a schedule (no tick fires; <paramref name="actor"/> is kept) or resumes it (its next tick is the first after
    /// now: ticks that fell in the pause do not fire). Returns the schedule, or null when none has that name.
    /// </summary>
    Task<ScheduleInfo?> SetSchedulePausedAsync(string name, bool paused, string? actor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a schedule; jobs it already inserted stay. A schedule defined in code comes back when a process that
    /// defines it starts. Returns false when none has that name.
    /// </summary>
    Task<bool> RemoveScheduleAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enqueues one job of the schedule now, linked to it, without moving its next tick (paused or not). Returns the job,
    /// or null when no schedule has that name.
    /// </summary>
    /// <exception cref="JobValidationException">The stored schedule no longer fits the configuration (its job type is not registered here).</exception>
    Task<EnqueueResult?> TriggerScheduleAsync(string name, string? actor = null, CancellationToken cancellationToken = default);
}
