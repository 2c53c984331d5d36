namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private const string FinishQueue = "finishing";
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);

    /// <summary>A job brought to <paramref name="state"/> (succeeded, failed or cancelled) at the clock's current time.</summary>
    private async Task<long> FinishedAsync(JobState state, string? idempotencyKey = null, string payload = "{}")
    {
        var id = await InsertAsync(Job(queue: FinishQueue, idempotencyKey: idempotencyKey, payload: payload));
        if (state == JobState.Cancelled)
        {
            Assert.Equal(JobCancelOutcome.Cancelled, (await CancelAsync(id)).Outcome);
        }
        else
        {
            var claimed = await ClaimOneAsync(FinishQueue);
            Assert.Equal(id, claimed.Id);
            Assert.True(await CompleteAsync(claimed, state == JobState.Succeeded ? JobOutcome.Succeeded : JobOutcome.Failed, error: state == JobState.Failed ? "poison" : null));
        }
        Assert.Equal(state, (await GetAsync(id)).State);
        return id;
    }

    private async Task<(long Succeeded, long Failed, long Cancelled)> OneOfEachFinishedAsync() =>
        (await FinishedAsync(JobState.Succeeded), await FinishedAsync(JobState.Failed), await FinishedAsync(JobState.Cancelled));

    private Task<int> PurgeAsync(TimeSpan? succeeded, TimeSpan? failed, TimeSpan? cancelled, int limit = 1000, IJobStore? store = null) =>
        (store ?? Store).JobsPurgeAsync(new JobsPurgeParams(succeeded, failed, cancelled, limit), CancellationToken.None);

    private Task<int> PurgeAllAsync(TimeSpan age, int limit = 1000) => PurgeAsync(age, age, age, limit);

    private async Task<bool> ExistsAsync(long id) => await Store.JobGetAsync(id, CancellationToken.None) is not null;

    [Fact]
    public async Task Purge_removes_finished_jobs_older_than_the_age_and_keeps_younger_ones()
    {
        var old = await OneOfEachFinishedAsync();
        Time.Advance(TimeSpan.FromHours(2));
        var young = await OneOfEachFinishedAsync();
        Time.Advance(TimeSpan.FromHours(1));

        var purged = await PurgeAllAsync(TimeSpan.FromHours(2));

        Assert.Equal(3, purged);
        foreach (var id in new[] { old.Succeeded, old.Failed, old.Cancelled })
            Assert.False(await ExistsAsync(id), $"job {id} finished 3 h ago should be purged");
        foreach (var id in new[] { young.Succeeded, young.Failed, young.Cancelled })
            Assert.True(await ExistsAsync(id), $"job {id} finished 1 h ago should be kept");
        Assert.Equal(3, await CountJobsAsync());
        Assert.Equal(0, await PurgeAllAsync(TimeSpan.FromHours(2)));
    }

    [Fact]
    public async Task Purge_uses_the_age_of_each_jobs_own_state()
    {
        var jobs = await OneOfEachFinishedAsync();
        Time.Advance(TimeSpan.FromDays(2));

        var purged = await PurgeAsync(succeeded: TimeSpan.FromDays(1), failed: TimeSpan.FromDays(7), cancelled: TimeSpan.FromDays(3));

        Assert.Equal(1, purged);
        Assert.False(await ExistsAsync(jobs.Succeeded));
        Assert.True(await ExistsAsync(jobs.Failed));
        Assert.True(await ExistsAsync(jobs.Cancelled));

        Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await PurgeAsync(TimeSpan.FromDays(1), TimeSpan.FromDays(7), TimeSpan.FromDays(3)));
        Assert.False(await ExistsAsync(jobs.Cancelled));
        Assert.True(await ExistsAsync(jobs.Failed));

        Time.Advance(TimeSpan.FromDays(3) + Microsecond);
        Assert.Equal(1, await PurgeAsync(TimeSpan.FromDays(1), TimeSpan.FromDays(7), TimeSpan.FromDays(3)));
        Assert.Equal(0, await CountJobsAsync());
    }

    [Fact]
    public async Task Purge_keeps_a_job_finished_exactly_the_age_ago_and_takes_it_a_microsecond_later()
    {
        var id = await FinishedAsync(JobState.Succeeded);
        Time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, await PurgeAllAsync(TimeSpan.FromHours(1)));
        Assert.True(await ExistsAsync(id));

        Time.Advance(Microsecond);
        Assert.Equal(1, await PurgeAllAsync(TimeSpan.FromHours(1)));
        Assert.False(await ExistsAsync(id));
    }

    [Fact]
    public async Task Purge_never_touches_waiting_scheduled_running_or_requeued_jobs_however_old()
    {
        var pending = await InsertAsync(Job());
        var scheduled = await InsertAsync(Job(delay: TimeSpan.FromDays(1000)));
        var running = await InsertAsync(Job(queue: "busy"));
        Assert.Equal(running, (await ClaimOneAsync("busy")).Id);
        var requeued = await FinishedAsync(JobState.Failed);
        Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(JobRequeueOutcome.Requeued, (await RequeueAsync(requeued)).Outcome);
        var before = new Dictionary<long, string>();
        foreach (var id in new[] { pending, scheduled, running, requeued })
            before[id] = await SnapshotAsync(id);
        var histories = new Dictionary<long, List<JobEventKind>>();
        foreach (var id in before.Keys)
            histories[id] = await HistoryAsync(id);
        Time.Advance(TimeSpan.FromDays(365));

        var purged = await PurgeAllAsync(TimeSpan.Zero);

        Assert.Equal(0, purged);
        Assert.Equal(JobState.Pending, (await GetAsync(pending)).State);
        Assert.Equal(JobState.Scheduled, (await GetAsync(scheduled)).State);
        Assert.Equal(JobState.Running, (await GetAsync(running)).State);
        Assert.Equal(JobState.Pending, (await GetAsync(requeued)).State);
        foreach (var (id, snapshot) in before)
        {
            Assert.Equal(snapshot, await SnapshotAsync(id));
            Assert.Equal(histories[id], await HistoryAsync(id));
        }
    }

    [Fact]
    public async Task Purge_removes_the_history_of_the_jobs_it_purges_and_only_theirs()
    {
        var purgedId = await FinishedAsync(JobState.Succeeded);
        var keptFinished = await FinishedAsync(JobState.Failed);
        var keptWaiting = await InsertAsync(Job());
        Assert.NotEmpty(await EventsAsync(purgedId));
        var keptFinishedHistory = await EventsAsync(keptFinished);
        var keptWaitingHistory = await EventsAsync(keptWaiting);
        Time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(1, await PurgeAsync(succeeded: TimeSpan.FromHours(1), failed: null, cancelled: TimeSpan.FromHours(1)));

        Assert.Null(await Store.JobGetAsync(purgedId, CancellationToken.None));
        Assert.Empty(await EventsAsync(purgedId));
        Assert.Equal(keptFinishedHistory, await EventsAsync(keptFinished));
        Assert.Equal(keptWaitingHistory, await EventsAsync(keptWaiting));
        Assert.DoesNotContain(await ListAllAsync(), j => j.Id == purgedId);
    }

    [Fact]
    public async Task Purge_respects_the_limit_and_takes_the_oldest_finished_first()
    {
        var ids = new List<long>();
        foreach (var state in new[] { JobState.Cancelled, JobState.Succeeded, JobState.Failed, JobState.Succeeded, JobState.Cancelled })
        {
            ids.Add(await FinishedAsync(state));
            Time.Advance(TimeSpan.FromMinutes(1));
        }
        Time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(2, await PurgeAllAsync(TimeSpan.FromMinutes(30), limit: 2));
        Assert.Equal(new[] { false, false, true, true, true }, await Task.WhenAll(ids.Select(ExistsAsync)));

        Assert.Equal(2, await PurgeAllAsync(TimeSpan.FromMinutes(30), limit: 2));
        Assert.Equal(new[] { false, false, false, false, true }, await Task.WhenAll(ids.Select(ExistsAsync)));

        Assert.Equal(1, await PurgeAllAsync(TimeSpan.FromMinutes(30), limit: 2));
        Assert.Equal(0, await PurgeAllAsync(TimeSpan.FromMinutes(30), limit: 2));
        Assert.Equal(0, await CountJobsAsync());
    }

    [Fact]
    public async Task Purge_frees_the_idempotency_key_so_a_new_submission_creates_a_new_job()
    {
        var first = await FinishedAsync(JobState.Succeeded, idempotencyKey: "order-7", payload: """{"v":1}""");
        var replay = Assert.Single(await Store.JobsInsertAsync(new JobsInsertParams([Job(idempotencyKey: "order-7", payload: """{"v":1}""")]), CancellationToken.None));
        Assert.Equal(new JobInsertResult(first, JobState.Succeeded, true), replay);
        Time.Advance(TimeSpan.FromDays(2));

        Assert.Equal(1, await PurgeAllAsync(TimeSpan.FromDays(1)));

        var fresh = Assert.Single(await Store.JobsInsertAsync(new JobsInsertParams([Job(idempotencyKey: "order-7", payload: """{"v":2}""")]), CancellationToken.None));
        Assert.False(fresh.Existing);
        Assert.NotEqual(first, fresh.JobId);
        Assert.Equal(JobState.Pending, fresh.State);
        var job = await GetAsync(fresh.JobId);
        Assert.Equal(("order-7", """{"v":2}"""), (job.IdempotencyKey, job.Payload));
        Assert.Equal([JobEventKind.Enqueued], await HistoryAsync(fresh.JobId));
    }

    [Fact]
    public async Task Null_ages_keep_finished_jobs_forever()
    {
        var jobs = await OneOfEachFinishedAsync();
        Time.Advance(TimeSpan.FromDays(10_000));

        Assert.Equal(0, await PurgeAsync(null, null, null));
        Assert.Equal(3, await CountJobsAsync());

        Assert.Equal(2, await PurgeAsync(succeeded: TimeSpan.FromDays(1), failed: null, cancelled: TimeSpan.FromDays(1)));
        Assert.True(await ExistsAsync(jobs.Failed));
        Assert.Equal(0, await PurgeAsync(succeeded: TimeSpan.Zero, failed: null, cancelled: TimeSpan.Zero));
        Assert.True(await ExistsAsync(jobs.Failed));
    }

    [Fact]
    public async Task Purge_with_age_zero_takes_every_job_finished_before_now()
    {
        var jobs = await OneOfEachFinishedAsync();
        Assert.Equal(0, await PurgeAllAsync(TimeSpan.Zero));

        Time.Advance(Microsecond);

        Assert.Equal(3, await PurgeAllAsync(TimeSpan.Zero));
        Assert.False(await ExistsAsync(jobs.Failed));
    }

    [Fact]
    public async Task Purge_refuses_a_negative_or_too_long_age_and_a_limit_below_one()
    {
        await FinishedAsync(JobState.Succeeded);
        Time.Advance(TimeSpan.FromDays(1));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PurgeAsync(TimeSpan.FromTicks(-10), null, null));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PurgeAsync(null, Timeout.InfiniteTimeSpan, null));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PurgeAsync(null, null, RetentionOptions.MaxAge + TimeSpan.FromDays(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PurgeAllAsync(TimeSpan.Zero, limit: 0));
        Assert.Equal(1, await CountJobsAsync());
        Assert.Equal(0, await PurgeAllAsync(RetentionOptions.MaxAge));
    }

    [Fact]
    public async Task Concurrent_purges_on_two_store_instances_purge_each_job_once()
    {
        const int total = 300;
        var ids = await InsertManyAsync(Enumerable.Range(0, total).Select(i => Job(queue: FinishQueue, payload: $"{i}")));
        for (var done = 0; done < total;)
        {
            var batch = await ClaimAsync(FinishQueue, limit: 100);
            Assert.Equal(batch.Count, (await CompleteManyAsync(batch.Select(j => Completion(j, JobOutcome.Succeeded)))).Count);
            done += batch.Count;
        }
        Time.Advance(TimeSpan.FromDays(2));
        var stores = new[] { Store, Factory.OpenSibling(Store, Time) };

        var counts = await Task.WhenAll(stores.Select(store => Task.Run(async () =>
        {
            var mine = 0;
            int purged;
            do
            {
                purged = await PurgeAsync(TimeSpan.FromDays(1), null, null, limit: 25, store: store);
                mine += purged;
            }
            while (purged > 0);
            return mine;
        })));

        Assert.Equal(total, counts.Sum());
        Assert.Equal(0, await CountJobsAsync());
        Assert.All(await Task.WhenAll(ids.Take(5).Select(id => EventsAsync(id))), events => Assert.Empty(events));
    }
}
