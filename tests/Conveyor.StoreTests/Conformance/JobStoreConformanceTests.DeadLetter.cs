namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private async Task<(long Id, ClaimedJob Claimed)> DeadLetteredAsync(int maxAttempts = 2)
    {
        var id = await InsertAsync(Job(maxAttempts: maxAttempts));
        var claimed = await ClaimOneAsync();
        Assert.True(await CompleteAsync(claimed, JobOutcome.Failed, error: "poison"));
        return (id, claimed);
    }

    [Fact]
    public async Task Requeue_of_a_failed_job_makes_it_pending_with_attempt_zero_and_a_requeued_event()
    {
        var (id, claimed) = await DeadLetteredAsync();
        Time.Advance(TimeSpan.FromMinutes(3));
        var now = Start.AddMinutes(3);

        var result = await RequeueAsync(id, "operator-1");

        Assert.Equal(JobRequeueOutcome.Requeued, result.Outcome);
        Assert.Equal((JobState.Pending, 0), (result.Job!.State, result.Job.Attempt));
        var job = await GetAsync(id);
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(now, job.RunAt);
        Assert.Equal(now, job.UpdatedAt);
        Assert.Null(job.FinishedAt);
        var requeued = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.Requeued, "operator-1", now), (requeued.Kind, requeued.Actor, requeued.At));

        var again = await ClaimOneAsync();
        Assert.Equal((id, 1, claimed.LeaseToken + 1), (again.Id, again.Attempt, again.LeaseToken));
    }

    [Fact]
    public async Task Requeue_of_a_job_dead_lettered_by_the_reaper_gives_it_a_fresh_attempt_budget()
    {
        var id = await InsertAsync(Job(maxAttempts: 1));
        await ClaimOneAsync();
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Failed, Assert.Single(await ReapAsync()).State);

        Assert.Equal(JobRequeueOutcome.Requeued, (await RequeueAsync(id)).Outcome);

        var again = await ClaimOneAsync();
        Assert.Equal((1, 2L), (again.Attempt, again.LeaseToken));
        Assert.True(await CompleteAsync(again, JobOutcome.Succeeded));
        Assert.Equal(JobState.Succeeded, (await GetAsync(id)).State);
    }

    [Theory]
    [InlineData(JobState.Pending)]
    [InlineData(JobState.Scheduled)]
    [InlineData(JobState.Running)]
    [InlineData(JobState.Succeeded)]
    [InlineData(JobState.Cancelled)]
    public async Task Requeue_of_a_job_that_is_not_failed_reports_not_failed_and_changes_nothing(JobState state)
    {
        var id = await InsertAsync(Job(delay: state == JobState.Scheduled ? TimeSpan.FromMinutes(1) : TimeSpan.Zero));
        if (state is JobState.Running or JobState.Succeeded)
        {
            var claimed = await ClaimOneAsync();
            if (state == JobState.Succeeded)
                Assert.True(await CompleteAsync(claimed, JobOutcome.Succeeded));
        }
        if (state == JobState.Cancelled)
            await CancelAsync(id);
        Assert.Equal(state, (await GetAsync(id)).State);
        var before = await SnapshotAsync(id);
        var history = await EventsAsync(id);
        Time.Advance(TimeSpan.FromSeconds(1));

        var result = await RequeueAsync(id);

        Assert.Equal(JobRequeueOutcome.NotFailed, result.Outcome);
        Assert.Equal(state, result.Job!.State);
        Assert.Equal(before, await SnapshotAsync(id));
        Assert.Equal(history, await EventsAsync(id));
    }

    [Fact]
    public async Task Requeue_of_an_unknown_job_reports_not_found()
    {
        var result = await RequeueAsync(555_555);

        Assert.Equal(JobRequeueOutcome.NotFound, result.Outcome);
        Assert.Null(result.Job);
    }

    [Fact]
    public async Task Dead_letter_listing_finds_failed_jobs_by_state()
    {
        var (failed, _) = await DeadLetteredAsync();
        await InsertAsync(Job());

        var dead = await ListAllAsync(new JobQuery { States = [JobState.Failed] });

        Assert.Equal([failed], dead.Select(j => j.Id));
        Assert.Equal("poison", dead[0].LastError);
    }
}
