namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static readonly TimeSpan FullRetryAfter = TimeSpan.FromSeconds(7);

    private static Dictionary<string, QueueBound> Bounded(int maxWaiting, string queue = "bounded") =>
        new() { [queue] = new QueueBound(maxWaiting, FullRetryAfter) };

    private Task<IReadOnlyList<JobInsertResult>> InsertBoundedAsync(int maxWaiting, params NewJob[] jobs) =>
        Store.JobsInsertAsync(new JobsInsertParams(jobs, Bounded(maxWaiting)), CancellationToken.None);

    [Fact]
    public async Task Bounded_queue_accepts_up_to_its_bound_and_refuses_the_next_with_retry_after()
    {
        for (var i = 0; i < 3; i++)
            await InsertBoundedAsync(3, Job(queue: "bounded", payload: $"{i}"));
        var before = await ListAllAsync();

        var full = await Assert.ThrowsAsync<QueueFullException>(() => InsertBoundedAsync(3, Job(queue: "bounded", payload: "3")));

        Assert.Equal(("bounded", 3, FullRetryAfter), (full.Queue, full.MaxWaiting, full.RetryAfter));
        var after = await ListAllAsync();
        Assert.Equal(3, after.Count);
        Assert.Equal(before.Select(j => (j.Id, j.Payload, j.State)), after.Select(j => (j.Id, j.Payload, j.State)));
    }

    [Fact]
    public async Task Bounded_queue_counts_scheduled_jobs_as_waiting()
    {
        await InsertBoundedAsync(2, Job(queue: "bounded", delay: TimeSpan.FromHours(1)), Job(queue: "bounded", delay: TimeSpan.FromHours(2)));

        await Assert.ThrowsAsync<QueueFullException>(() => InsertBoundedAsync(2, Job(queue: "bounded")));

        Assert.Equal(2, await CountJobsAsync());
    }

    [Fact]
    public async Task Bounded_queue_refuses_a_batch_that_would_overflow_it_and_stores_none_of_the_batch()
    {
        await InsertBoundedAsync(3, Job(queue: "bounded"));

        await Assert.ThrowsAsync<QueueFullException>(() => InsertBoundedAsync(3,
            Job(queue: "other"),
            Job(queue: "bounded"),
            Job(queue: "bounded"),
            Job(queue: "bounded")));

        Assert.Equal(1, await CountJobsAsync());
        Assert.Equal(0, await CountJobsAsync(new JobQuery { Queue = "other" }));
        Assert.Equal(2, (await InsertBoundedAsync(3, Job(queue: "bounded"), Job(queue: "bounded"))).Count);
        Assert.Equal(3, await CountJobsAsync());
    }

    [Fact]
    public async Task Unbounded_queues_are_unaffected_by_a_full_bounded_queue()
    {
        await InsertBoundedAsync(1, Job(queue: "bounded"));
        await Assert.ThrowsAsync<QueueFullException>(() => InsertBoundedAsync(1, Job(queue: "bounded")));

        var results = await InsertBoundedAsync(1, Job(queue: "default"), Job(queue: "default"), Job(queue: "default"));
        for (var i = 0; i < 50; i++)
            await InsertAsync(Job(queue: "bounded-elsewhere"));

        Assert.Equal(3, results.Count);
        Assert.Equal(54, await CountJobsAsync());
    }

    [Fact]
    public async Task Bounded_queue_accepts_again_once_claims_free_room()
    {
        await InsertBoundedAsync(2, Job(queue: "bounded"), Job(queue: "bounded"));
        await Assert.ThrowsAsync<QueueFullException>(() => InsertBoundedAsync(2, Job(queue: "bounded")));

        var claimed = await ClaimOneAsync("bounded");

        var accepted = Assert.Single(await InsertBoundedAsync(2, Job(queue: "bounded")));
        Assert.Equal(JobState.Pending, (await GetAsync(accepted.JobId)).State);
        await Assert.ThrowsAsync<QueueFullException>(() => InsertBoundedAsync(2, Job(queue: "bounded")));
        Assert.True(await CompleteAsync(claimed, JobOutcome.Succeeded));
        await Assert.ThrowsAsync<QueueFullException>(() => InsertBoundedAsync(2, Job(queue: "bounded")));
        Assert.Equal(3, await CountJobsAsync());
    }

    [Fact]
    public async Task Bounded_queue_does_not_count_idempotent_replays_as_new()
    {
        await InsertBoundedAsync(1, Job(queue: "bounded", idempotencyKey: "k"));

        var replay = Assert.Single(await InsertBoundedAsync(1, Job(queue: "bounded", idempotencyKey: "k")));
        var inBatch = await InsertBoundedAsync(2, Job(queue: "bounded", idempotencyKey: "j"), Job(queue: "bounded", idempotencyKey: "j"));

        Assert.True(replay.Existing);
        Assert.Equal([false, true], inBatch.Select(r => r.Existing));
        Assert.Equal(2, await CountJobsAsync());
    }

    [Fact]
    public async Task Bounded_queue_never_drops_accepted_work_when_the_bound_shrinks()
    {
        await InsertBoundedAsync(5, Job(queue: "bounded"), Job(queue: "bounded"), Job(queue: "bounded"));

        await Assert.ThrowsAsync<QueueFullException>(() => InsertBoundedAsync(1, Job(queue: "bounded")));

        Assert.Equal(3, await CountJobsAsync(new JobQuery { Queue = "bounded", States = [JobState.Pending] }));
        Assert.Equal(3, (await ClaimAsync("bounded", limit: 10)).Count);
    }
}
