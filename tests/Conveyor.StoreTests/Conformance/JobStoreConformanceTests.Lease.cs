namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static readonly TimeSpan PastLease = Lease + TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Heartbeat_extends_the_lease_from_now_without_an_event_or_updated_at()
    {
        await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(20));

        var beat = await HeartbeatAsync(new JobLease(claimed.Id, claimed.LeaseToken));

        Assert.Empty(beat.Lost);
        Assert.Empty(beat.CancelRequested);
        var job = await GetAsync(claimed.Id);
        Assert.Equal(Start.AddSeconds(20) + Lease, job.LeaseExpiresAt);
        Assert.Equal(Start, job.UpdatedAt);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started], await HistoryAsync(claimed.Id));

        Time.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(await ReapAsync());
        Assert.Equal(JobState.Running, (await GetAsync(claimed.Id)).State);
    }

    [Fact]
    public async Task Heartbeat_reports_a_stale_token_lost_and_changes_nothing()
    {
        await InsertAsync(Job());
        var first = await ClaimOneAsync();
        Time.Advance(PastLease);
        Assert.Single(await ReapAsync());
        var second = await ClaimOneAsync();
        var before = await SnapshotAsync(first.Id);

        Time.Advance(TimeSpan.FromSeconds(5));
        var beat = await HeartbeatAsync(new JobLease(first.Id, first.LeaseToken));

        Assert.Equal([first.Id], beat.Lost);
        Assert.Equal(before, await SnapshotAsync(first.Id));
        Assert.Equal(second.LeaseToken, first.LeaseToken + 1);
    }

    [Fact]
    public async Task Heartbeat_reports_each_pair_independently_including_finished_and_unknown_jobs()
    {
        await InsertManyAsync([Job(), Job()]);
        var claimed = await ClaimAsync(limit: 2);
        var (live, done) = (claimed[0], claimed[1]);
        Assert.True(await CompleteAsync(done, JobOutcome.Succeeded));
        Time.Advance(TimeSpan.FromSeconds(10));

        var beat = await HeartbeatAsync(new JobLease(live.Id, live.LeaseToken), new JobLease(done.Id, done.LeaseToken), new JobLease(999_999, 1));

        Assert.Equal([done.Id, 999_999], beat.Lost.Order());
        Assert.Equal(Start.AddSeconds(10) + Lease, (await GetAsync(live.Id)).LeaseExpiresAt);
        Assert.Null((await GetAsync(done.Id)).LeaseExpiresAt);
    }

    [Fact]
    public async Task A_lease_lost_while_the_handler_still_runs_fences_out_every_write_of_the_old_attempt()
    {
        var id = await InsertAsync(Job());
        var stale = await ClaimAsync(worker: "slow-worker");
        Time.Advance(PastLease);
        Assert.Equal([id], (await ReapAsync()).Select(r => r.JobId));
        var fresh = Assert.Single(await ClaimAsync(worker: "worker-2"));
        Assert.Equal(stale[0].LeaseToken + 1, fresh.LeaseToken);
        var before = await SnapshotAsync(id);
        var history = await EventsAsync(id);

        Time.Advance(TimeSpan.FromSeconds(1));
        var completed = await CompleteAsync(stale[0], JobOutcome.Succeeded, result: """{"late":true}""");
        var progressed = await Store.JobProgressSetAsync(new JobProgressSetParams(new JobLease(id, stale[0].LeaseToken), new JobProgress(50, "late", null)), CancellationToken.None);
        var logged = await Store.JobLogAppendAsync(new JobLogAppendParams(new JobLease(id, stale[0].LeaseToken), "late line"), CancellationToken.None);

        Assert.False(completed);
        Assert.False(progressed);
        Assert.False(logged);
        Assert.Equal(before, await SnapshotAsync(id));
        Assert.Equal(history, await EventsAsync(id));
        Assert.True(await CompleteAsync(fresh, JobOutcome.Succeeded));
        Assert.Equal(JobState.Succeeded, (await GetAsync(id)).State);
    }

    [Fact]
    public async Task Progress_and_log_with_the_current_token_are_recorded_with_events()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimAsync(worker: "worker-3");
        var lease = new JobLease(id, claimed[0].LeaseToken);
        Time.Advance(TimeSpan.FromSeconds(2));

        Assert.True(await Store.JobProgressSetAsync(new JobProgressSetParams(lease, new JobProgress(40, "draft", "writing")), CancellationToken.None));
        Assert.True(await Store.JobProgressSetAsync(new JobProgressSetParams(lease, new JobProgress(60, "review", null)), CancellationToken.None));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await Store.JobLogAppendAsync(new JobLogAppendParams(lease, "half way"), CancellationToken.None));

        var job = await GetAsync(id);
        Assert.Equal(new JobProgress(60, "review", null), job.Progress);
        Assert.Equal(Start.AddSeconds(3), job.UpdatedAt);
        var events = await EventsAsync(id);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Progress, JobEventKind.Progress, JobEventKind.Log], events.Select(e => e.Kind));
        Assert.All(events.Skip(1), e => Assert.Equal("worker-3", e.Actor));
        Assert.All(events.Skip(1), e => Assert.Equal(1, e.Attempt));
        Assert.Equal("half way", events[^1].Message);
        Assert.Equal(Start.AddSeconds(3), events[^1].At);
    }

    [Fact]
    public async Task Fenced_writes_about_an_unknown_job_are_refused()
    {
        var lease = new JobLease(777_777, 1);

        Assert.False(await Store.JobProgressSetAsync(new JobProgressSetParams(lease, new JobProgress(1, null, null)), CancellationToken.None));
        Assert.False(await Store.JobLogAppendAsync(new JobLogAppendParams(lease, "x"), CancellationToken.None));
        Assert.Empty(await CompleteManyAsync([new JobCompletion { Lease = lease, Outcome = JobOutcome.Succeeded }]));
        Assert.Empty(await HistoryAsync(777_777));
    }

    [Fact]
    public async Task Reaper_returns_an_expired_job_to_pending_keeping_the_attempt_with_a_stuck_event()
    {
        var id = await InsertAsync(Job(maxAttempts: 3));
        var claimed = await ClaimOneAsync();
        Time.Advance(PastLease);
        var now = Start + PastLease;

        var reaped = Assert.Single(await ReapAsync());

        Assert.Equal(new ReapedJob(id, "default", JobState.Pending, 1), reaped);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(now, job.RunAt);
        Assert.Equal(now, job.UpdatedAt);
        Assert.Null(job.LeaseExpiresAt);
        Assert.Null(job.FinishedAt);
        Assert.False(string.IsNullOrEmpty(job.LastError));
        var stuck = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.Stuck, "reaper", 1, now), (stuck.Kind, stuck.Actor, stuck.Attempt, stuck.At));

        var again = await ClaimOneAsync();
        Assert.Equal((2, claimed.LeaseToken + 1), (again.Attempt, again.LeaseToken));
    }

    [Fact]
    public async Task Reaper_fails_an_expired_job_whose_attempts_are_exhausted()
    {
        var id = await InsertAsync(Job(maxAttempts: 1));
        await ClaimOneAsync();
        Time.Advance(PastLease);

        Assert.Equal(new ReapedJob(id, "default", JobState.Failed, 1), Assert.Single(await ReapAsync()));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(Start + PastLease, job.FinishedAt);
        Assert.Null(job.LeaseExpiresAt);
        Assert.Equal(JobEventKind.Stuck, (await HistoryAsync(id))[^1]);
        Assert.Empty(await ClaimAsync(limit: 10));
    }

    [Fact]
    public async Task Reaper_cancels_an_expired_job_whose_cancellation_was_requested()
    {
        var id = await InsertAsync(Job(maxAttempts: 5));
        await ClaimOneAsync();
        Assert.Equal(JobCancelOutcome.CancelRequested, (await CancelAsync(id)).Outcome);
        Time.Advance(PastLease);

        Assert.Equal(new ReapedJob(id, "default", JobState.Cancelled, 1), Assert.Single(await ReapAsync()));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.False(job.CancelRequested);
        Assert.Equal(Start + PastLease, job.FinishedAt);
        Assert.Equal(JobEventKind.Stuck, (await HistoryAsync(id))[^1]);
    }

    [Fact]
    public async Task Reaper_leaves_live_leases_alone_even_at_the_instant_they_end()
    {
        var id = await InsertAsync(Job());
        await ClaimOneAsync();

        Time.Advance(Lease);
        Assert.Empty(await ReapAsync());

        var job = await GetAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started], await HistoryAsync(id));
    }

    [Fact]
    public async Task Reaper_recovers_at_most_its_limit_per_call()
    {
        await InsertManyAsync([Job(), Job(), Job()]);
        await ClaimAsync(limit: 3);
        Time.Advance(PastLease);

        Assert.Equal(2, (await ReapAsync(limit: 2)).Count);
        Assert.Single(await ReapAsync(limit: 2));
        Assert.Empty(await ReapAsync(limit: 2));
    }

    [Fact]
    public async Task Two_reapers_at_once_recover_each_job_exactly_once()
    {
        var ids = await InsertManyAsync(Enumerable.Range(0, 20).Select(_ => Job()));
        await ClaimAsync(limit: 20);
        Time.Advance(PastLease);
        var sibling = Factory.OpenSibling(Store, Time);

        var both = await Task.WhenAll(Task.Run(() => ReapAsync()), Task.Run(() => ReapAsync(store: sibling)));

        Assert.Equal(ids, both.SelectMany(r => r).Select(r => r.JobId).Order());
        foreach (var id in ids)
            Assert.Single(await HistoryAsync(id), k => k == JobEventKind.Stuck);
    }
}
