namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    [Fact]
    public async Task Concurrency_key_with_limit_one_lets_only_the_head_run_and_the_next_after_it_completes()
    {
        var ids = await InsertManyAsync(Enumerable.Range(0, 3).Select(_ => Job(concurrencyKey: "k")));

        var head = await ClaimAsync(limit: 10);
        Assert.Equal([ids[0]], head.Select(c => c.Id));
        Assert.Empty(await ClaimAsync(limit: 10));

        Assert.True(await CompleteAsync(head[0], JobOutcome.Succeeded));
        var next = await ClaimAsync(limit: 10);
        Assert.Equal([ids[1]], next.Select(c => c.Id));
        Assert.Empty(await ClaimAsync(limit: 10));

        Assert.True(await CompleteAsync(next[0], JobOutcome.Failed, error: "x"));
        Assert.Equal([ids[2]], (await ClaimAsync(limit: 10)).Select(c => c.Id));
    }

    [Fact]
    public async Task Concurrency_key_order_ignores_priority()
    {
        var low = await InsertAsync(Job(concurrencyKey: "k", priority: JobPriority.Low));
        var critical = await InsertAsync(Job(concurrencyKey: "k", priority: JobPriority.Critical));

        var first = await ClaimAsync(limit: 10);
        Assert.Equal([low], first.Select(c => c.Id));
        Assert.True(await CompleteAsync(first[0], JobOutcome.Succeeded));
        Assert.Equal([critical], (await ClaimAsync(limit: 10)).Select(c => c.Id));
    }

    [Fact]
    public async Task Concurrency_key_job_waiting_for_retry_back_off_blocks_the_jobs_behind_it()
    {
        var ids = await InsertManyAsync([Job(concurrencyKey: "k", maxAttempts: 3), Job(concurrencyKey: "k")]);
        var head = await ClaimOneAsync();
        Assert.True(await CompleteAsync(head, JobOutcome.Retry, error: "later", retryDelay: TimeSpan.FromMinutes(1)));

        Assert.Empty(await ClaimAsync(limit: 10));
        Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(await ClaimAsync(limit: 10));

        Time.Advance(TimeSpan.FromSeconds(1));
        var retried = await ClaimAsync(limit: 10);
        Assert.Equal([(ids[0], 2)], retried.Select(c => (c.Id, c.Attempt)));
        Assert.True(await CompleteAsync(retried[0], JobOutcome.Succeeded));
        Assert.Equal([ids[1]], (await ClaimAsync(limit: 10)).Select(c => c.Id));
    }

    [Fact]
    public async Task Concurrency_keys_are_independent_and_unkeyed_jobs_still_flow()
    {
        var a = await InsertManyAsync([Job(concurrencyKey: "a"), Job(concurrencyKey: "a")]);
        var b = await InsertManyAsync([Job(concurrencyKey: "b"), Job(concurrencyKey: "b")]);
        var free = await InsertManyAsync([Job(), Job()]);

        var claimed = await ClaimAsync(limit: 10);

        Assert.Equal(new[] { a[0], b[0], free[0], free[1] }.Order(), claimed.Select(c => c.Id).Order());
        var headB = claimed.Single(c => c.Id == b[0]);
        Assert.True(await CompleteAsync(headB, JobOutcome.Succeeded));
        Assert.Equal([b[1]], (await ClaimAsync(limit: 10)).Select(c => c.Id));
    }

    [Fact]
    public async Task Concurrency_key_with_limit_n_allows_n_active_in_key_order()
    {
        var ids = await InsertManyAsync(Enumerable.Range(0, 5).Select(_ => Job(concurrencyKey: "k", concurrencyLimit: 2)));

        var first = await ClaimAsync(limit: 10);
        Assert.Equal(ids.Take(2), first.Select(c => c.Id).Order());
        Assert.Empty(await ClaimAsync(limit: 10));

        Assert.True(await CompleteAsync(first[0], JobOutcome.Succeeded));
        Assert.Equal([ids[2]], (await ClaimAsync(limit: 10)).Select(c => c.Id));
        Assert.Empty(await ClaimAsync(limit: 10));
    }

    [Fact]
    public async Task One_claim_batch_never_returns_two_jobs_of_a_key_with_limit_one()
    {
        var k = await InsertManyAsync(Enumerable.Range(0, 4).Select(_ => Job(concurrencyKey: "k")));
        var l = await InsertManyAsync(Enumerable.Range(0, 3).Select(_ => Job(concurrencyKey: "l", priority: JobPriority.High)));

        var claimed = await ClaimAsync(limit: 10);

        Assert.Equal(new[] { k[0], l[0] }.Order(), claimed.Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Concurrency_key_scope_spans_queues_and_a_paused_queue_still_holds_its_place()
    {
        var inA = await InsertAsync(Job(queue: "a", concurrencyKey: "k"));
        var inB = await InsertAsync(Job(queue: "b", concurrencyKey: "k"));
        await SetPausedAsync("a", paused: true);

        Assert.Empty(await ClaimAsync("b", limit: 10));

        await SetPausedAsync("a", paused: false);
        var head = await ClaimOneAsync("a");
        Assert.Equal(inA, head.Id);
        Assert.Empty(await ClaimAsync("b", limit: 10));
        Assert.True(await CompleteAsync(head, JobOutcome.Succeeded));
        Assert.Equal(inB, (await ClaimOneAsync("b")).Id);
    }

    [Fact]
    public async Task Concurrency_key_order_follows_the_due_time_given_at_submission_then_id()
    {
        var later = await InsertAsync(Job(concurrencyKey: "k", runAt: Start.AddSeconds(-5)));
        var earlier = await InsertAsync(Job(concurrencyKey: "k", runAt: Start.AddSeconds(-10)));

        var first = await ClaimAsync(limit: 10);
        Assert.Equal([earlier], first.Select(c => c.Id));
        Assert.True(await CompleteAsync(first[0], JobOutcome.Succeeded));
        Assert.Equal([later], (await ClaimAsync(limit: 10)).Select(c => c.Id));
    }

    [Fact]
    public async Task Concurrency_key_is_freed_by_a_reap_a_cancel_and_a_dead_letter()
    {
        var ids = await InsertManyAsync(Enumerable.Range(0, 4).Select(_ => Job(concurrencyKey: "k", maxAttempts: 1)));

        await ClaimOneAsync();
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Failed, Assert.Single(await ReapAsync()).State);

        var second = await ClaimOneAsync();
        Assert.Equal(ids[1], second.Id);
        Assert.Equal(JobCancelOutcome.Cancelled, (await CancelAsync(ids[2])).Outcome);
        Assert.True(await CompleteAsync(second, JobOutcome.Cancelled));

        Assert.Equal(ids[3], (await ClaimOneAsync()).Id);
    }

    [Fact]
    public async Task Concurrency_key_of_a_running_job_blocks_a_later_job_submitted_with_the_same_key()
    {
        var first = await InsertAsync(Job(concurrencyKey: "k"));
        var running = await ClaimOneAsync();
        Assert.Equal(first, running.Id);

        await InsertAsync(Job(concurrencyKey: "k"));

        Assert.Empty(await ClaimAsync(limit: 10));
    }
}
