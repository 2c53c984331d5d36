namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    [Fact]
    public async Task Insert_stores_the_job_pending_with_an_enqueued_event()
    {
        var principal = new JobPrincipal("ada", "lab-1", ["submitter"]);
        var id = await InsertAsync(Job(payload: """{"n":1}""", principal: principal, tags: ["nightly"]));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal("""{"n":1}""", job.Payload);
        Assert.Equal(principal, job.Principal);
        Assert.Equal(["nightly"], job.Tags);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(Start, job.CreatedAt);
        Assert.Equal(Start, job.RunAt);
        Assert.Null(job.StartedAt);
        Assert.Equal([JobEventKind.Enqueued], await HistoryAsync(id));
    }

    [Fact]
    public async Task A_delayed_job_is_scheduled_until_its_time_comes()
    {
        var id = await InsertAsync(Job(delay: TimeSpan.FromMinutes(5)));
        Assert.Equal(JobState.Scheduled, (await GetAsync(id)).State);
        Assert.Empty(await ClaimAsync());

        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(JobState.Pending, (await GetAsync(id)).State);
        Assert.Equal(id, (await ClaimOneAsync()).Id);
    }

    [Fact]
    public async Task Insert_returns_increasing_ids_in_submission_order_and_the_reported_state_of_each()
    {
        var results = await Store.JobsInsertAsync(new JobsInsertParams(
        [
            Job(payload: """{"n":1}"""),
            Job(payload: """{"n":2}""", delay: TimeSpan.FromMinutes(1)),
            Job(payload: """{"n":3}"""),
        ]), CancellationToken.None);

        Assert.Equal(3, results.Count);
        Assert.True(results[0].JobId < results[1].JobId && results[1].JobId < results[2].JobId);
        Assert.Equal([JobState.Pending, JobState.Scheduled, JobState.Pending], results.Select(r => r.State));
        Assert.All(results, r => Assert.False(r.Existing));
        Assert.Equal(["""{"n":1}""", """{"n":2}""", """{"n":3}"""], await Task.WhenAll(results.Select(async r => (await GetAsync(r.JobId)).Payload)));
    }

    [Fact]
    public async Task Insert_stamps_created_and_updated_at_with_the_stores_now_and_run_at_with_now_plus_delay()
    {
        Time.Advance(TimeSpan.FromSeconds(7));
        var now = Start.AddSeconds(7);
        var id = await InsertAsync(Job(delay: TimeSpan.FromSeconds(90)));

        var job = await GetAsync(id);
        Assert.Equal(now, job.CreatedAt);
        Assert.Equal(now, job.UpdatedAt);
        Assert.Equal(now.AddSeconds(90), job.RunAt);
        Assert.Equal(TimeSpan.Zero, job.RunAt.Offset);
        Assert.Null(job.FinishedAt);
        Assert.Null(job.LeaseExpiresAt);
        var enqueued = Assert.Single(await EventsAsync(id));
        Assert.Equal(now, enqueued.At);
        Assert.Equal(0, enqueued.Attempt);
    }

    [Fact]
    public async Task Insert_keeps_an_explicit_run_at_in_the_past_and_the_job_is_due_at_once()
    {
        var past = Start.AddHours(-1);
        var id = await InsertAsync(Job(runAt: past));

        var job = await GetAsync(id);
        Assert.Equal(past, job.RunAt);
        Assert.Equal(JobState.Pending, job.State);
        Assert.Equal(id, (await ClaimOneAsync()).Id);
    }

    [Fact]
    public async Task Insert_stores_every_field_of_the_submission()
    {
        var id = await InsertAsync(Job(kind: "report.build", queue: "reports", payload: """{"r":7}""", priority: JobPriority.High,
            maxAttempts: 5, concurrencyKey: "customer-9", idempotencyKey: "idem-1", tags: ["a", "b"]));

        var job = await GetAsync(id);
        Assert.Equal("report.build", job.Kind);
        Assert.Equal("reports", job.Queue);
        Assert.Equal(JobPriority.High, job.Priority);
        Assert.Equal(5, job.MaxAttempts);
        Assert.Equal("customer-9", job.ConcurrencyKey);
        Assert.Equal("idem-1", job.IdempotencyKey);
        Assert.Equal(["a", "b"], job.Tags);
        Assert.Equal(JobPrincipal.System, job.Principal);
        Assert.Null(job.Principal.Tenant);
        Assert.Empty(job.Artifacts);
        Assert.Null(job.Result);
        Assert.Null(job.Progress);
        Assert.False(job.CancelRequested);
    }

    [Fact]
    public async Task Insert_records_the_submitting_user_as_the_actor_of_the_enqueued_event()
    {
        var id = await InsertAsync(Job(principal: JobPrincipal.For("grace", "t1")));
        var system = await InsertAsync(Job());

        Assert.Equal("grace", Assert.Single(await EventsAsync(id)).Actor);
        Assert.Null(Assert.Single(await EventsAsync(system)).Actor);
    }

    [Fact]
    public async Task Insert_of_an_empty_batch_stores_nothing()
    {
        var results = await Store.JobsInsertAsync(new JobsInsertParams([]), CancellationToken.None);

        Assert.Empty(results);
        Assert.Equal(0, await CountJobsAsync());
    }

    [Fact]
    public async Task Get_returns_null_and_history_is_empty_for_an_unknown_job()
    {
        Assert.Null(await Store.JobGetAsync(424242, CancellationToken.None));
        Assert.Empty(await HistoryAsync(424242));
    }
}
