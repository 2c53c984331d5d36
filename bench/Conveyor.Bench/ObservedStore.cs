using Conveyor.Storage;

namespace Conveyor.Bench;

/// <summary>
/// Passes every call to the real store and counts the completions it commits, alone or with a claim. This is how
/// the benchmark learns that work is durably finished without polling; a final COUNT query confirms it.
/// </summary>
internal sealed class ObservedStore(IJobStore inner, CompletionProbe completions) : IJobStore
{
    public StoreSignals Signals => inner.Signals;

    public async Task<IReadOnlyList<long>> JobsCompleteAsync(JobsCompleteParams parameters, CancellationToken cancellationToken)
    {
        var applied = await inner.JobsCompleteAsync(parameters, cancellationToken);
        Interlocked.Increment(ref completions.CompleteCalls);
        completions.Add(applied.Count);
        return applied;
    }

    public Task MigrateAsync(CancellationToken cancellationToken) => inner.MigrateAsync(cancellationToken);
    public Task<IReadOnlyList<JobInsertResult>> JobsInsertAsync(JobsInsertParams parameters, CancellationToken cancellationToken) => inner.JobsInsertAsync(parameters, cancellationToken);
    public async Task<IReadOnlyList<ClaimedJob>> JobsClaimAsync(JobsClaimParams parameters, CancellationToken cancellationToken)
    {
        var claimed = await inner.JobsClaimAsync(parameters, cancellationToken);
        Interlocked.Increment(ref completions.ClaimCalls);
        Interlocked.Add(ref completions.Claimed, claimed.Count);
        if (parameters.CompleteFirst is { Count: > 0 } finished)
        {
            // Committed with the claim. The claim does not say which were fenced out; no benchmark loses a lease,
            // and the final COUNT of succeeded jobs checks the total.
            Interlocked.Increment(ref completions.CompleteCalls);
            completions.Add(finished.Count);
        }
        return claimed;
    }

    public Task<JobsHeartbeatResult> JobsHeartbeatAsync(JobsHeartbeatParams parameters, CancellationToken cancellationToken) => inner.JobsHeartbeatAsync(parameters, cancellationToken);
    public Task<bool> JobProgressSetAsync(JobProgressSetParams parameters, CancellationToken cancellationToken) => inner.JobProgressSetAsync(parameters, cancellationToken);
    public Task<bool> JobLogAppendAsync(JobLogAppendParams parameters, CancellationToken cancellationToken) => inner.JobLogAppendAsync(parameters, cancellationToken);
    public Task<IReadOnlyList<ReapedJob>> JobsReapAsync(JobsReapParams parameters, CancellationToken cancellationToken) => inner.JobsReapAsync(parameters, cancellationToken);
    public Task<JobCancelResult> JobCancelAsync(JobCancelParams parameters, CancellationToken cancellationToken) => inner.JobCancelAsync(parameters, cancellationToken);
    public Task<JobRequeueResult> JobRequeueAsync(JobRequeueParams parameters, CancellationToken cancellationToken) => inner.JobRequeueAsync(parameters, cancellationToken);
    public Task<JobInfo?> JobGetAsync(long jobId, CancellationToken cancellationToken) => inner.JobGetAsync(jobId, cancellationToken);
    public Task<JobPage> JobsListAsync(JobQuery query, CancellationToken cancellationToken) => inner.JobsListAsync(query, cancellationToken);
    public Task<IReadOnlyList<JobEvent>> JobEventsListAsync(JobEventsListParams parameters, CancellationToken cancellationToken) => inner.JobEventsListAsync(parameters, cancellationToken);
    public Task QueueSetPausedAsync(QueueSetPausedParams parameters, CancellationToken cancellationToken) => inner.QueueSetPausedAsync(parameters, cancellationToken);
    public Task<IReadOnlyList<QueueInfo>> QueuesListAsync(CancellationToken cancellationToken) => inner.QueuesListAsync(cancellationToken);

    public Task<IReadOnlyList<LimitKeyStatus>> LimitsListAsync(LimitsListParams parameters, CancellationToken cancellationToken) => inner.LimitsListAsync(parameters, cancellationToken);
    public Task<JobStats> StatsGetAsync(StatsGetParams parameters, CancellationToken cancellationToken) => inner.StatsGetAsync(parameters, cancellationToken);
    public Task<IReadOnlyList<FeedEvent>> EventsFeedAsync(EventsFeedParams parameters, CancellationToken cancellationToken) => inner.EventsFeedAsync(parameters, cancellationToken);
    public Task<long> EventsLatestIdAsync(CancellationToken cancellationToken) => inner.EventsLatestIdAsync(cancellationToken);
    public Task ApiKeyInsertAsync(ApiKeyRecord key, CancellationToken cancellationToken) => inner.ApiKeyInsertAsync(key, cancellationToken);
    public Task<ApiKeyRecord?> ApiKeyGetAsync(string id, CancellationToken cancellationToken) => inner.ApiKeyGetAsync(id, cancellationToken);
    public Task<IReadOnlyList<ApiKeyRecord>> ApiKeysListAsync(CancellationToken cancellationToken) => inner.ApiKeysListAsync(cancellationToken);
    public Task<bool> ApiKeyRevokeAsync(string id, CancellationToken cancellationToken) => inner.ApiKeyRevokeAsync(id, cancellationToken);
    public Task<int> JobsPurgeAsync(JobsPurgeParams parameters, CancellationToken cancellationToken) => inner.JobsPurgeAsync(parameters, cancellationToken);
    public Task<int> LimitStartsPurgeAsync(LimitStartsPurgeParams parameters, CancellationToken cancellationToken) => inner.LimitStartsPurgeAsync(parameters, cancellationToken);
    public Task<bool> LeaderTryAcquireAsync(LeaderAcquireParams parameters, CancellationToken cancellationToken) => inner.LeaderTryAcquireAsync(parameters, cancellationToken);
    public Task<bool> LeaderReleaseAsync(LeaderReleaseParams parameters, CancellationToken cancellationToken) => inner.LeaderReleaseAsync(parameters, cancellationToken);
    public Task<ScheduleInfo> ScheduleUpsertAsync(ScheduleUpsertParams parameters, CancellationToken cancellationToken) => inner.ScheduleUpsertAsync(parameters, cancellationToken);
    public Task<ScheduleInfo?> ScheduleGetAsync(string name, CancellationToken cancellationToken) => inner.ScheduleGetAsync(name, cancellationToken);
    public Task<IReadOnlyList<ScheduleInfo>> SchedulesListAsync(CancellationToken cancellationToken) => inner.SchedulesListAsync(cancellationToken);
    public Task<ScheduleInfo?> ScheduleSetPausedAsync(ScheduleSetPausedParams parameters, CancellationToken cancellationToken) => inner.ScheduleSetPausedAsync(parameters, cancellationToken);
    public Task<bool> ScheduleDeleteAsync(string name, CancellationToken cancellationToken) => inner.ScheduleDeleteAsync(name, cancellationToken);
    public Task<SchedulesDueResult> SchedulesDueAsync(SchedulesDueParams parameters, CancellationToken cancellationToken) => inner.SchedulesDueAsync(parameters, cancellationToken);
    public Task<ScheduleFireResult> ScheduleFireAsync(ScheduleFireParams parameters, CancellationToken cancellationToken) => inner.ScheduleFireAsync(parameters, cancellationToken);
    public Task<JobInsertResult?> ScheduleTriggerAsync(ScheduleTriggerParams parameters, CancellationToken cancellationToken) => inner.ScheduleTriggerAsync(parameters, cancellationToken);
    public ValueTask DisposeAsync() => inner.DisposeAsync();
    public Task<IReadOnlyList<JobStep>> JobStepsListAsync(long jobId, CancellationToken cancellationToken) => inner.JobStepsListAsync(jobId, cancellationToken);
    public Task<bool> JobStepSaveAsync(JobStepSaveParams parameters, CancellationToken cancellationToken) => inner.JobStepSaveAsync(parameters, cancellationToken);
    public Task<JobSuspendOutcome> JobSuspendAsync(JobSuspendParams parameters, CancellationToken cancellationToken) => inner.JobSuspendAsync(parameters, cancellationToken);
    public Task<InteractionAnswerOutcome> InteractionAnswerAsync(InteractionAnswerParams parameters, CancellationToken cancellationToken) => inner.InteractionAnswerAsync(parameters, cancellationToken);
    public Task<IReadOnlyList<ExpiredInteraction>> InteractionsExpireAsync(InteractionsExpireParams parameters, CancellationToken cancellationToken) => inner.InteractionsExpireAsync(parameters, cancellationToken);
    public Task<InteractionInfo?> InteractionGetAsync(long interactionId, CancellationToken cancellationToken) => inner.InteractionGetAsync(interactionId, cancellationToken);
    public Task<InteractionPage> InteractionsListAsync(InteractionQuery query, CancellationToken cancellationToken) => inner.InteractionsListAsync(query, cancellationToken);
}
