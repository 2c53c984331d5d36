namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    [Fact]
    public async Task Complete_succeeded_stores_result_artefacts_and_finished_at_with_a_succeeded_event()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(4));
        var now = Start.AddSeconds(4);
        JobArtifact[] artifacts = [new("report", "s3://bucket/r.pdf", "application/pdf"), new("log", "/tmp/x.log")];

        var applied = await CompleteManyAsync([Completion(claimed, JobOutcome.Succeeded, result: """{"pages":3}""", artifacts: artifacts)]);

        Assert.Equal([id], applied);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal("""{"pages":3}""", job.Result);
        Assert.Equal(artifacts, job.Artifacts);
        Assert.Equal(now, job.FinishedAt);
        Assert.Equal(now, job.UpdatedAt);
        Assert.Null(job.LeaseExpiresAt);
        Assert.Equal(1, job.Attempt);
        var done = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.Succeeded, "worker-1", 1, now), (done.Kind, done.Actor, done.Attempt, done.At));
    }

    [Fact]
    public async Task A_successs_event_carries_no_message_even_when_the_completion_has_one()
    {
        // Message is for attempts that end without an error and say something (a snooze's wait); a success says it by
        // its kind. (SQLite writes a success's event by trigger, from the row alone.)
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();

        Assert.Equal([id], await CompleteManyAsync([Completion(claimed, JobOutcome.Succeeded) with { Message = "all good" }]));

        var done = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.Succeeded, "worker-1", (string?)null), (done.Kind, done.Actor, done.Message));
    }

    [Fact]
    public async Task A_long_batch_of_plain_successes_by_two_actors_applies_exactly_the_completions_whose_lease_is_current()
    {
        // Longer than a store's statement takes at once (SQLite: 16 jobs), so chunks and the fence per job both count.
        var ids = await InsertManyAsync(Enumerable.Range(0, 45).Select(_ => Job()));
        var claimed = await ClaimAsync(limit: 45);
        Assert.Equal(45, claimed.Count);
        var stale = claimed.Where((_, i) => i % 7 == 3).Select(j => j.Id).ToHashSet();

        var applied = await CompleteManyAsync(claimed.Select((j, i) => Completion(
            j, JobOutcome.Succeeded, token: stale.Contains(j.Id) ? j.LeaseToken + 1 : null, actor: i % 2 == 0 ? "worker-a" : "worker-b")));

        Assert.Equal(ids.Where(id => !stale.Contains(id)).Order(), applied.Order());
        foreach (var (job, i) in claimed.Select((j, i) => (j, i)))
        {
            var info = await GetAsync(job.Id);
            var last = (await EventsAsync(job.Id))[^1];
            if (stale.Contains(job.Id))
                Assert.Equal((JobState.Running, JobEventKind.Started), (info.State, last.Kind));
            else
                Assert.Equal((JobState.Succeeded, JobEventKind.Succeeded, i % 2 == 0 ? "worker-a" : "worker-b"), (info.State, last.Kind, last.Actor));
        }
    }

    [Fact]
    public async Task Complete_retry_schedules_the_job_at_now_plus_the_delay_with_the_error()
    {
        var id = await InsertAsync(Job(maxAttempts: 5));
        var claimed = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(2));
        var now = Start.AddSeconds(2);

        Assert.True(await CompleteAsync(claimed, JobOutcome.Retry, error: "timeout talking to smtp", retryDelay: TimeSpan.FromSeconds(40)));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal(now.AddSeconds(40), job.RunAt);
        Assert.Equal("timeout talking to smtp", job.LastError);
        Assert.Equal(1, job.Attempt);
        Assert.Null(job.FinishedAt);
        Assert.Null(job.LeaseExpiresAt);
        Assert.Equal(now, job.UpdatedAt);
        var retry = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.RetryScheduled, 1, "timeout talking to smtp"), (retry.Kind, retry.Attempt, retry.Message));

        Time.Advance(TimeSpan.FromSeconds(39));
        Assert.Empty(await ClaimAsync(limit: 10));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Pending, (await GetAsync(id)).State);
        var again = await ClaimOneAsync();
        Assert.Equal((id, 2), (again.Id, again.Attempt));
    }

    [Fact]
    public async Task Complete_retry_on_the_last_attempt_is_applied_as_given_not_reclassified()
    {
        var id = await InsertAsync(Job(maxAttempts: 1));
        var claimed = await ClaimOneAsync();

        Assert.True(await CompleteAsync(claimed, JobOutcome.Retry, error: "again", retryDelay: TimeSpan.FromSeconds(1)));

        Assert.Equal(JobState.Scheduled, (await GetAsync(id)).State);
        Assert.Equal(JobEventKind.RetryScheduled, (await HistoryAsync(id))[^1]);
    }

    [Fact]
    public async Task Complete_failed_dead_letters_the_job_with_a_failed_event()
    {
        var id = await InsertAsync(Job(maxAttempts: 5));
        var claimed = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await CompleteAsync(claimed, JobOutcome.Failed, error: "bad input"));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("bad input", job.LastError);
        Assert.Equal(Start.AddSeconds(1), job.FinishedAt);
        Assert.Null(job.LeaseExpiresAt);
        var failed = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.Failed, "worker-1", 1, "bad input"), (failed.Kind, failed.Actor, failed.Attempt, failed.Message));
        Assert.Empty(await ClaimAsync(limit: 10));
    }

    [Fact]
    public async Task Complete_cancelled_ends_the_job_cancelled_with_finished_at()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();

        Assert.True(await CompleteAsync(claimed, JobOutcome.Cancelled));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal(Start, job.FinishedAt);
        Assert.Equal(JobEventKind.Cancelled, (await HistoryAsync(id))[^1]);
    }

    [Fact]
    public async Task Complete_with_a_stale_token_changes_nothing()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        var before = await SnapshotAsync(id);
        var history = await EventsAsync(id);
        Time.Advance(TimeSpan.FromSeconds(3));

        foreach (var outcome in Enum.GetValues<JobOutcome>())
            Assert.False(await CompleteAsync(claimed, outcome, error: "x", token: claimed.LeaseToken + 1));
        Assert.False(await CompleteAsync(claimed, JobOutcome.Succeeded, token: 0));

        Assert.Equal(before, await SnapshotAsync(id));
        Assert.Equal(history, await EventsAsync(id));
    }

    [Fact]
    public async Task Complete_of_an_already_finished_attempt_is_refused()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        Assert.True(await CompleteAsync(claimed, JobOutcome.Succeeded, result: "1"));
        var before = await SnapshotAsync(id);

        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await CompleteAsync(claimed, JobOutcome.Failed, error: "late"));

        Assert.Equal(before, await SnapshotAsync(id));
        Assert.Single(await HistoryAsync(id), k => k == JobEventKind.Succeeded);
    }

    [Fact]
    public async Task Complete_released_gives_the_attempt_back_and_makes_the_job_due_now()
    {
        var id = await InsertAsync(Job(delay: TimeSpan.Zero));
        var claimed = await ClaimOneAsync();
        Time.Advance(TimeSpan.FromSeconds(6));

        Assert.True(await CompleteAsync(claimed, JobOutcome.Released));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(Start.AddSeconds(6), job.RunAt);
        Assert.Null(job.FinishedAt);
        Assert.Null(job.LeaseExpiresAt);
        var released = (await EventsAsync(id))[^1];
        Assert.Equal((JobEventKind.Released, 1), (released.Kind, released.Attempt));
        var again = await ClaimOneAsync();
        Assert.Equal((1, claimed.LeaseToken + 1), (again.Attempt, again.LeaseToken));
    }

    [Fact]
    public async Task Complete_applies_a_batch_of_mixed_outcomes_in_one_call_and_reports_only_the_applied_ids()
    {
        var ids = await InsertManyAsync(Enumerable.Range(0, 5).Select(_ => Job(maxAttempts: 3)));
        var claimed = (await ClaimAsync(limit: 5)).OrderBy(c => c.Id).ToList();

        var applied = await CompleteManyAsync(
        [
            Completion(claimed[0], JobOutcome.Succeeded, result: "\"ok\""),
            Completion(claimed[1], JobOutcome.Retry, error: "flaky", retryDelay: TimeSpan.FromMinutes(1)),
            Completion(claimed[2], JobOutcome.Failed, error: "broken"),
            Completion(claimed[3], JobOutcome.Released),
            Completion(claimed[4], JobOutcome.Succeeded, token: claimed[4].LeaseToken + 5),
        ]);

        Assert.Equal(ids.Take(4), applied.Order());
        var states = await Task.WhenAll(ids.Select(async id => (await GetAsync(id)).State));
        Assert.Equal([JobState.Succeeded, JobState.Scheduled, JobState.Failed, JobState.Pending, JobState.Running], states);
        Assert.Equal("\"ok\"", (await GetAsync(ids[0])).Result);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started], await HistoryAsync(ids[4]));
    }

    [Fact]
    public async Task Complete_retry_of_a_job_whose_cancellation_was_requested_ends_it_cancelled()
    {
        var id = await InsertAsync(Job(maxAttempts: 5));
        var claimed = await ClaimOneAsync();
        await CancelAsync(id);

        Assert.True(await CompleteAsync(claimed, JobOutcome.Retry, error: "interrupted", retryDelay: TimeSpan.FromSeconds(10)));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.False(job.CancelRequested);
        Assert.Equal(Start, job.FinishedAt);
        Assert.Equal(JobEventKind.Cancelled, (await HistoryAsync(id))[^1]);
        Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(await ClaimAsync(limit: 10));
    }

    [Fact]
    public async Task Complete_release_of_a_job_whose_cancellation_was_requested_ends_it_cancelled()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        await CancelAsync(id);

        Assert.True(await CompleteAsync(claimed, JobOutcome.Released));

        Assert.Equal(JobState.Cancelled, (await GetAsync(id)).State);
        Assert.Empty(await ClaimAsync(limit: 10));
    }

    [Fact]
    public async Task Complete_succeeded_of_a_job_whose_cancellation_was_requested_still_succeeds()
    {
        var id = await InsertAsync(Job());
        var claimed = await ClaimOneAsync();
        await CancelAsync(id);

        Assert.True(await CompleteAsync(claimed, JobOutcome.Succeeded, result: "1"));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.False(job.CancelRequested);
    }

    [Fact]
    public async Task Complete_of_plain_successes_by_several_workers_mixed_with_other_outcomes_applies_each_as_given()
    {
        // Stores may take a shorter path for successes without result, artefacts or error; mixed with the rest
        // and with several actors in one batch, each completion must still land exactly as the general path would.
        var ids = await InsertManyAsync(Enumerable.Range(0, 6).Select(_ => Job(maxAttempts: 3)));
        var claimed = (await ClaimAsync(limit: 6)).OrderBy(c => c.Id).ToList();
        await CancelAsync(ids[5]);
        Time.Advance(TimeSpan.FromSeconds(2));
        var now = Start.AddSeconds(2);

        var applied = await CompleteManyAsync(
        [
            Completion(claimed[0], JobOutcome.Succeeded, actor: "worker-a"),
            Completion(claimed[1], JobOutcome.Succeeded, actor: "worker-b"),
            Completion(claimed[2], JobOutcome.Succeeded, result: "7", actor: "worker-a"),
            Completion(claimed[3], JobOutcome.Retry, error: "flaky", retryDelay: TimeSpan.FromMinutes(1), actor: "worker-b"),
            Completion(claimed[4], JobOutcome.Succeeded, token: claimed[4].LeaseToken + 1, actor: "worker-a"),
            Completion(claimed[5], JobOutcome.Succeeded, actor: "worker-a"),
        ]);

        Assert.Equal([ids[0], ids[1], ids[2], ids[3], ids[5]], applied.Order());
        var jobs = await Task.WhenAll(ids.Select(GetAsync));
        Assert.Equal([JobState.Succeeded, JobState.Succeeded, JobState.Succeeded, JobState.Scheduled, JobState.Running, JobState.Succeeded], jobs.Select(j => j.State));
        foreach (var i in new[] { 0, 1, 5 })
        {
            Assert.Equal((null, now, (DateTimeOffset?)null, false, null), (jobs[i].Result, jobs[i].FinishedAt, jobs[i].LeaseExpiresAt, jobs[i].CancelRequested, jobs[i].LastError));
            Assert.Empty(jobs[i].Artifacts);
        }
        Assert.Equal("7", jobs[2].Result);
        var done = await Task.WhenAll(new[] { 0, 1, 2, 3, 5 }.Select(async i => (await EventsAsync(ids[i]))[^1]));
        Assert.Equal(
            [(JobEventKind.Succeeded, "worker-a", 1, now), (JobEventKind.Succeeded, "worker-b", 1, now), (JobEventKind.Succeeded, "worker-a", 1, now),
             (JobEventKind.RetryScheduled, "worker-b", 1, now), (JobEventKind.Succeeded, "worker-a", 1, now)],
            done.Select(e => (e.Kind, e.Actor, e.Attempt, e.At)));
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started], await HistoryAsync(ids[4]));
    }
}
