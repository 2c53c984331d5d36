namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    [Fact]
    public async Task Claim_takes_critical_before_high_before_normal_before_low()
    {
        var low = await InsertAsync(Job(priority: JobPriority.Low));
        var normal = await InsertAsync(Job(priority: JobPriority.Normal));
        var high = await InsertAsync(Job(priority: JobPriority.High));
        var critical = await InsertAsync(Job(priority: JobPriority.Critical));

        var order = new List<long>();
        for (var i = 0; i < 4; i++)
            order.Add((await ClaimOneAsync()).Id);

        Assert.Equal([critical, high, normal, low], order);
        Assert.Empty(await ClaimAsync());
    }

    [Fact]
    public async Task Claim_takes_earliest_run_at_first_then_lowest_id_within_a_priority()
    {
        var second = await InsertAsync(Job(runAt: Start.AddSeconds(-10)));
        var fourth = await InsertAsync(Job());
        var first = await InsertAsync(Job(runAt: Start.AddSeconds(-20)));
        var fifth = await InsertAsync(Job());
        var third = await InsertAsync(Job(runAt: Start.AddSeconds(-10)));

        var order = new List<long>();
        for (var i = 0; i < 5; i++)
            order.Add((await ClaimOneAsync()).Id);

        Assert.Equal([first, second, third, fourth, fifth], order);
    }

    [Fact]
    public async Task Claim_orders_by_priority_before_run_at()
    {
        var oldLow = await InsertAsync(Job(priority: JobPriority.Low, runAt: Start.AddHours(-1)));
        var newHigh = await InsertAsync(Job(priority: JobPriority.High));

        Assert.Equal(newHigh, (await ClaimOneAsync()).Id);
        Assert.Equal(oldLow, (await ClaimOneAsync()).Id);
    }

    [Fact]
    public async Task Claim_ignores_a_job_until_its_run_at_and_takes_it_once_time_reaches_it()
    {
        var later = await InsertAsync(Job(delay: TimeSpan.FromSeconds(30)));

        Assert.Empty(await ClaimAsync(limit: 10));
        Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(await ClaimAsync(limit: 10));
        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(later, (await ClaimOneAsync()).Id);
    }

    [Fact]
    public async Task Claim_of_a_batch_takes_only_the_due_jobs()
    {
        var due = await InsertAsync(Job());
        await InsertAsync(Job(delay: TimeSpan.FromMinutes(1)));

        var claimed = await ClaimAsync(limit: 10);

        Assert.Equal([due], claimed.Select(c => c.Id));
    }

    [Fact]
    public async Task Claim_from_a_paused_queue_returns_nothing_and_resumes_after_unpausing()
    {
        var id = await InsertAsync(Job());
        await SetPausedAsync("default", paused: true);
        await SetPausedAsync("default", paused: true);

        Assert.Empty(await ClaimAsync(limit: 10));
        Assert.Equal(JobState.Pending, (await GetAsync(id)).State);

        var accepted = await InsertAsync(Job());
        Assert.Equal(JobState.Pending, (await GetAsync(accepted)).State);
        Assert.Equal([JobEventKind.Enqueued], await HistoryAsync(id));

        await SetPausedAsync("default", paused: false);
        Assert.Equal([id, accepted], (await ClaimAsync(limit: 10)).Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Pausing_one_queue_leaves_other_queues_claimable()
    {
        await InsertAsync(Job(queue: "a"));
        var b = await InsertAsync(Job(queue: "b"));
        await SetPausedAsync("a", paused: true);

        Assert.Empty(await ClaimAsync("a"));
        Assert.Equal(b, (await ClaimOneAsync("b")).Id);
    }

    [Fact]
    public async Task Claim_takes_only_from_the_named_queue()
    {
        var a = await InsertAsync(Job(queue: "a", priority: JobPriority.Low));
        var b = await InsertAsync(Job(queue: "b", priority: JobPriority.Critical));

        var fromA = await ClaimAsync("a", limit: 10);
        Assert.Equal([a], fromA.Select(c => c.Id));
        Assert.Equal("a", fromA[0].Queue);
        Assert.Empty(await ClaimAsync("a", limit: 10));
        Assert.Empty(await ClaimAsync("c", limit: 10));
        Assert.Equal(JobState.Pending, (await GetAsync(b)).State);
        Assert.Equal([b], (await ClaimAsync("b", limit: 10)).Select(c => c.Id));
    }

    [Fact]
    public async Task Claim_takes_at_most_the_limit_and_the_first_ones_in_claim_order()
    {
        var ids = await InsertManyAsync(Enumerable.Range(0, 5).Select(i => Job(payload: $$"""{"i":{{i}}}""")));

        var first = await ClaimAsync(limit: 3);
        var second = await ClaimAsync(limit: 3);

        Assert.Equal(ids.Take(3), first.Select(c => c.Id).Order());
        Assert.Equal(ids.Skip(3), second.Select(c => c.Id).Order());
        Assert.Empty(await ClaimAsync(limit: 3));
    }

    [Fact]
    public async Task A_claim_returns_each_jobs_key_principal_and_trace_beside_jobs_that_have_none()
    {
        // Each job has at most one of what a claim may carry besides its payload, so a store that reads them only for
        // jobs that have some (SQLite) must tell every one of them apart from a job that has none.
        const string trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var ids = await InsertManyAsync(
        [
            Job(),
            Job(concurrencyKey: "lab-7"),
            Job(principal: new JobPrincipal(null, "acme", [])),
            Job(principal: new JobPrincipal("ada", null, [])),
            Job(principal: new JobPrincipal(null, null, ["auditor"])),
            Job() with { TraceParent = trace },
            Job(),
        ]);

        var claimed = (await ClaimAsync(limit: 10, worker: "worker-7")).OrderBy(c => c.Id).ToList();

        Assert.Equal(ids, claimed.Select(c => c.Id));
        Assert.Equal([null, "lab-7", null, null, null, null, null], claimed.Select(c => c.ConcurrencyKey));
        Assert.Equal(
            [JobPrincipal.System, JobPrincipal.System, new JobPrincipal(null, "acme", []), new JobPrincipal("ada", null, []), new JobPrincipal(null, null, ["auditor"]), JobPrincipal.System, JobPrincipal.System],
            claimed.Select(c => c.Principal));
        Assert.Equal([null, null, null, null, null, trace, null], claimed.Select(c => c.TraceParent));
        foreach (var id in ids)
        {
            var started = Assert.Single(await EventsAsync(id), e => e.Kind == JobEventKind.Started);
            Assert.Equal((1, "worker-7", Start), (started.Attempt, started.Actor, started.At));
        }
    }

    [Fact]
    public async Task Claim_increments_attempt_and_lease_token_and_stamps_the_lease_and_started_at()
    {
        var id = await InsertAsync(Job(payload: """{"x":1}""", maxAttempts: 4, principal: JobPrincipal.For("ada", "t1", "r1")));
        Time.Advance(TimeSpan.FromSeconds(5));
        var now = Start.AddSeconds(5);

        var claimed = await ClaimOneAsync();

        Assert.Equal(id, claimed.Id);
        Assert.Equal(1, claimed.Attempt);
        Assert.Equal(1, claimed.LeaseToken);
        Assert.Equal(4, claimed.MaxAttempts);
        Assert.Equal("""{"x":1}""", claimed.Payload);
        Assert.Equal(JobPrincipal.For("ada", "t1", "r1"), claimed.Principal);
        Assert.Equal(Start, claimed.CreatedAt);
        Assert.Equal(now + Lease, claimed.LeaseExpiresAt);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(now, job.StartedAt);
        Assert.Equal(now, job.UpdatedAt);
        Assert.Equal(now + Lease, job.LeaseExpiresAt);
        Assert.Null(job.FinishedAt);
    }

    [Fact]
    public async Task Claim_writes_a_started_event_with_the_worker_as_actor_and_the_new_attempt()
    {
        var id = await InsertAsync(Job());
        Time.Advance(TimeSpan.FromSeconds(3));

        await ClaimAsync(worker: "worker-7");

        var events = await EventsAsync(id);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started], events.Select(e => e.Kind));
        Assert.Equal("worker-7", events[1].Actor);
        Assert.Equal(1, events[1].Attempt);
        Assert.Equal(Start.AddSeconds(3), events[1].At);
        Assert.True(events[1].Id > events[0].Id);
    }

    [Fact]
    public async Task A_second_claim_of_a_reclaimed_job_grows_attempt_and_token_again()
    {
        var id = await InsertAsync(Job());
        var first = await ClaimOneAsync();
        Assert.True(await CompleteAsync(first, JobOutcome.Retry, error: "boom"));

        var second = await ClaimOneAsync();

        Assert.Equal(id, second.Id);
        Assert.Equal(2, second.Attempt);
        Assert.Equal(2, second.LeaseToken);
    }

    [Fact]
    public async Task A_claimed_job_is_not_claimed_again_while_running()
    {
        await InsertAsync(Job());
        await ClaimOneAsync();

        Assert.Empty(await ClaimAsync(limit: 10, worker: "worker-2"));
    }
}
