namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    [Fact]
    public async Task Cancel_of_a_pending_job_cancels_it_at_once_with_the_actor_in_history()
    {
        var id = await InsertAsync(Job());
        Time.Advance(TimeSpan.FromSeconds(2));

        var result = await CancelAsync(id, "alice");

        Assert.Equal(JobCancelOutcome.Cancelled, result.Outcome);
        Assert.Equal((id, JobState.Cancelled), (result.Job!.Id, result.Job.State));
        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal(Start.AddSeconds(2), job.FinishedAt);
        Assert.Equal(Start.AddSeconds(2), job.UpdatedAt);
        var cancelled = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.Cancelled, "alice", Start.AddSeconds(2)), (cancelled.Kind, cancelled.Actor, cancelled.At));
        Assert.Empty(await ClaimAsync(limit: 10));
    }

    [Fact]
    public async Task Cancel_of_a_scheduled_job_cancels_it_and_it_never_runs()
    {
        var id = await InsertAsync(Job(delay: TimeSpan.FromMinutes(10)));

        var result = await CancelAsync(id, "bob");

        Assert.Equal(JobCancelOutcome.Cancelled, result.Outcome);
        Assert.Equal(JobState.Cancelled, (await GetAsync(id)).State);
        Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Empty(await ClaimAsync(limit: 10));
        Assert.Equal(JobState.Cancelled, (await GetAsync(id)).State);
    }

    [Fact]
    public async Task Cancel_of_a_running_job_requests_cancellation_which_heartbeat_and_signal_report()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        var signalled = new List<(long Id, bool FlagVisible)>();
        Store.Signals.CancelRequested += jobId => signalled.Add((jobId, GetAsync(jobId).GetAwaiter().GetResult().CancelRequested));
        Time.Advance(TimeSpan.FromSeconds(1));

        var result = await CancelAsync(id, "carol");

        Assert.Equal(JobCancelOutcome.CancelRequested, result.Outcome);
        Assert.Equal((JobState.Running, true), (result.Job!.State, result.Job.CancelRequested));
        Assert.Equal([(id, true)], signalled);
        var requested = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.CancelRequested, "carol", 1), (requested.Kind, requested.Actor, requested.Attempt));
        Assert.Equal(Start.AddSeconds(1), (await GetAsync(id)).UpdatedAt);

        var beat = await HeartbeatAsync(new JobLease(id, claimed.LeaseToken));
        Assert.Empty(beat.Lost);
        Assert.Equal([id], beat.CancelRequested);
    }

    [Fact]
    public async Task Cancel_requested_job_ends_cancelled_when_its_worker_completes_with_cancelled()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        await CancelAsync(id);
        Time.Advance(TimeSpan.FromSeconds(3));

        Assert.True(await CompleteAsync(claimed, JobOutcome.Cancelled));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.False(job.CancelRequested);
        Assert.Null(job.LeaseExpiresAt);
        Assert.Equal(Start.AddSeconds(3), job.FinishedAt);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.CancelRequested, JobEventKind.Cancelled], await HistoryAsync(id));
    }

    [Theory]
    [InlineData(JobOutcome.Succeeded)]
    [InlineData(JobOutcome.Failed)]
    [InlineData(JobOutcome.Cancelled)]
    public async Task Cancel_of_a_finished_job_reports_already_finished_and_changes_nothing(JobOutcome outcome)
    {
        var id = await InsertAsync(Job());
        Assert.True(await CompleteAsync(await ClaimOneAsync(), outcome, error: "e"));
        var before = await SnapshotAsync(id);
        var history = await EventsAsync(id);
        Time.Advance(TimeSpan.FromSeconds(1));

        var result = await CancelAsync(id);

        Assert.Equal(JobCancelOutcome.AlreadyFinished, result.Outcome);
        Assert.NotNull(result.Job);
        Assert.Equal(before, await SnapshotAsync(id));
        Assert.Equal(history, await EventsAsync(id));
    }

    [Fact]
    public async Task Cancel_of_an_unknown_job_reports_not_found()
    {
        var result = await CancelAsync(123_456);

        Assert.Equal(JobCancelOutcome.NotFound, result.Outcome);
        Assert.Null(result.Job);
        Assert.Empty(await HistoryAsync(123_456));
    }

    [Fact]
    public async Task A_cancel_request_does_not_carry_over_to_a_later_attempt()
    {
        var id = await InsertAsync(Job(maxAttempts: 3));
        var claimed = await ClaimOneAsync();
        await CancelAsync(id);
        Assert.True(await CompleteAsync(claimed, JobOutcome.Failed, error: "x"));
        Assert.Equal(JobRequeueOutcome.Requeued, (await RequeueAsync(id)).Outcome);

        var again = await ClaimOneAsync();

        Assert.False((await GetAsync(id)).CancelRequested);
        Assert.Empty((await HeartbeatAsync(new JobLease(id, again.LeaseToken))).CancelRequested);
    }
}
