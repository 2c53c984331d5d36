namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static JobCompletion Snooze(ClaimedJob job, TimeSpan delay) =>
        Completion(job, JobOutcome.Snoozed, retryDelay: delay) with { Message = $"Snoozed for {delay:c}." };

    [Fact]
    public async Task Complete_snoozed_gives_the_attempt_back_and_schedules_the_job_at_now_plus_the_delay()
    {
        var id = await InsertAsync(Job(maxAttempts: 1));
        var first = await ClaimOneAsync();
        Assert.True(await CompleteAsync(first, JobOutcome.Retry, error: "earlier failure", retryDelay: TimeSpan.Zero));
        var claimed = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(3));
        var now = Start.AddSeconds(3);

        Assert.Equal([id], await CompleteManyAsync([Snooze(claimed, TimeSpan.FromMinutes(5))]));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal(1, job.Attempt);                       // the snoozed second attempt was taken back
        Assert.Equal(now.AddMinutes(5), job.RunAt);
        Assert.Equal("earlier failure", job.LastError);     // a snooze is no error
        Assert.Null(job.FinishedAt);
        Assert.Null(job.LeaseExpiresAt);
        Assert.Equal(now, job.UpdatedAt);
        var snoozed = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.Snoozed, 2, "worker-1", "Snoozed for 00:05:00.", now), (snoozed.Kind, snoozed.Attempt, snoozed.Actor, snoozed.Message, snoozed.At));

        Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(await ClaimAsync(limit: 10));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var again = await ClaimOneAsync();
        Assert.Equal((id, 2, claimed.LeaseToken + 1), (again.Id, again.Attempt, again.LeaseToken));
    }

    [Fact]
    public async Task Complete_snoozed_of_a_job_whose_cancellation_was_requested_ends_it_cancelled()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        await CancelAsync(id);

        Assert.Equal([id], await CompleteManyAsync([Snooze(claimed, TimeSpan.FromSeconds(10))]));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal(Start, job.FinishedAt);
        Assert.Equal(JobEventKind.Cancelled, (await HistoryAsync(id))[^1]);
        Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(await ClaimAsync(limit: 10));
    }

    [Fact]
    public async Task Complete_snoozed_with_a_stale_token_changes_nothing()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        var before = await SnapshotAsync(id);

        Assert.Empty(await CompleteManyAsync([Snooze(claimed, TimeSpan.FromSeconds(10)) with { Lease = new JobLease(id, claimed.LeaseToken + 1) }]));

        Assert.Equal(before, await SnapshotAsync(id));
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started], await HistoryAsync(id));
    }

    [Fact]
    public async Task A_snooze_riding_on_a_claim_is_applied_before_the_claim()
    {
        var ids = await InsertManyAsync([Job(), Job()]);
        var claimed = await ClaimOneAsync();

        var next = await Store.JobsClaimAsync(new JobsClaimParams("default", 1, "worker-1", Lease, [Snooze(claimed, TimeSpan.FromSeconds(30))]), CancellationToken.None);

        Assert.Equal(ids[1], Assert.Single(next).Id);
        var job = await GetAsync(ids[0]);
        Assert.Equal((JobState.Scheduled, 0, Start.AddSeconds(30)), (job.State, job.Attempt, job.RunAt));
        Assert.Equal(JobEventKind.Snoozed, (await HistoryAsync(ids[0]))[^1]);
    }
}
