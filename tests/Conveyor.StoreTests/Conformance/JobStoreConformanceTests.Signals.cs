namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    /// <summary>Records every JobsReady signal the store raises from now on.</summary>
    private List<(string Queue, DateTimeOffset ReadyAt)> RecordJobsReady()
    {
        var seen = new List<(string, DateTimeOffset)>();
        Store.Signals.JobsReady += (queue, readyAt) =>
        {
            lock (seen)
                seen.Add((queue, readyAt));
        };
        return seen;
    }

    [Fact]
    public async Task Insert_raises_jobs_ready_per_queue_with_the_earliest_due_time_after_commit()
    {
        var visible = new List<int>();
        Store.Signals.JobsReady += (_, _) => visible.Add(CountJobsAsync().GetAwaiter().GetResult());
        var ready = RecordJobsReady();

        await InsertManyAsync([
            Job(queue: "a", delay: TimeSpan.FromMinutes(5)),
            Job(queue: "a", delay: TimeSpan.FromMinutes(2)),
            Job(queue: "b"),
            Job(queue: "c", runAt: Start.AddHours(-1)),
        ]);

        Assert.Equal([("a", Start.AddMinutes(2)), ("b", Start), ("c", Start)], ready.OrderBy(r => r.Queue));
        Assert.All(visible, count => Assert.Equal(4, count));
        Assert.Equal(3, visible.Count);
    }

    [Fact]
    public async Task A_refused_insert_raises_no_signal()
    {
        await InsertAsync(Job(idempotencyKey: "k", payload: "1"));
        var ready = RecordJobsReady();

        await Assert.ThrowsAsync<IdempotencyConflictException>(() => InsertManyAsync([Job(queue: "x"), Job(idempotencyKey: "k", payload: "2")]));
        await Assert.ThrowsAsync<QueueFullException>(() => Store.JobsInsertAsync(
            new JobsInsertParams([Job(queue: "x")], new Dictionary<string, QueueBound> { ["x"] = new(0, TimeSpan.FromSeconds(1)) }), CancellationToken.None));

        Assert.Empty(ready);
    }

    [Fact]
    public async Task Retry_raises_jobs_ready_at_the_new_due_time()
    {
        await InsertAsync(Job(queue: "mail"));
        var claimed = await ClaimOneAsync("mail");
        Time.Advance(TimeSpan.FromSeconds(3));
        var ready = RecordJobsReady();

        Assert.True(await CompleteAsync(claimed, JobOutcome.Retry, error: "x", retryDelay: TimeSpan.FromSeconds(20)));

        Assert.Equal([("mail", Start.AddSeconds(23))], ready);
    }

    [Fact]
    public async Task Release_and_reap_to_pending_raise_jobs_ready_now()
    {
        await InsertManyAsync([Job(queue: "q"), Job(queue: "q")]);
        var claimed = await ClaimAsync("q", limit: 2);
        var ready = RecordJobsReady();

        Assert.True(await CompleteAsync(claimed[0], JobOutcome.Released));
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Single(await ReapAsync());

        Assert.Equal([("q", Start), ("q", Start + Lease + TimeSpan.FromSeconds(1))], ready);
    }

    [Fact]
    public async Task Requeue_and_resume_raise_jobs_ready_now_and_pausing_raises_nothing()
    {
        var id = await InsertAsync(Job(queue: "q"));
        Assert.True(await CompleteAsync(await ClaimOneAsync("q"), JobOutcome.Failed, error: "x"));
        Time.Advance(TimeSpan.FromSeconds(10));
        var ready = RecordJobsReady();

        await RequeueAsync(id);
        await SetPausedAsync("q", paused: true);
        Assert.Equal([("q", Start.AddSeconds(10))], ready);
        Time.Advance(TimeSpan.FromSeconds(1));
        await SetPausedAsync("q", paused: false);

        Assert.Equal([("q", Start.AddSeconds(10)), ("q", Start.AddSeconds(11))], ready);
    }

    [Theory]
    [InlineData(JobOutcome.Succeeded)]
    [InlineData(JobOutcome.Failed)]
    [InlineData(JobOutcome.Cancelled)]
    [InlineData(JobOutcome.Retry)]
    [InlineData(JobOutcome.Released)]
    [InlineData(JobOutcome.Snoozed)]
    public async Task A_keyed_job_leaving_running_raises_jobs_ready_for_any_queue(JobOutcome outcome)
    {
        await InsertManyAsync([Job(queue: "a", concurrencyKey: "k"), Job(queue: "b", concurrencyKey: "k")]);
        var head = await ClaimOneAsync("a");
        Time.Advance(TimeSpan.FromSeconds(2));
        var ready = RecordJobsReady();

        Assert.True(await CompleteAsync(head, outcome, error: "x", retryDelay: TimeSpan.FromSeconds(30)));

        Assert.Contains((StoreSignals.AnyQueue, Start.AddSeconds(2)), ready);
        var expectedOwnQueue = outcome switch
        {
            JobOutcome.Retry or JobOutcome.Snoozed => [("a", Start.AddSeconds(32))],
            JobOutcome.Released => [("a", Start.AddSeconds(2))],
            _ => Array.Empty<(string, DateTimeOffset)>(),
        };
        Assert.Equal(expectedOwnQueue, ready.Where(r => r.Queue != StoreSignals.AnyQueue));
    }

    [Fact]
    public async Task Reaping_a_keyed_job_raises_jobs_ready_for_any_queue()
    {
        await InsertAsync(Job(queue: "a", concurrencyKey: "k", maxAttempts: 1));
        await ClaimOneAsync("a");
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        var ready = RecordJobsReady();

        Assert.Equal(JobState.Failed, Assert.Single(await ReapAsync()).State);

        Assert.Equal([(StoreSignals.AnyQueue, Start + Lease + TimeSpan.FromSeconds(1))], ready);
    }

    [Fact]
    public async Task Cancelling_a_waiting_keyed_job_raises_jobs_ready_for_any_queue()
    {
        var ids = await InsertManyAsync([Job(queue: "a", concurrencyKey: "k"), Job(queue: "b", concurrencyKey: "k")]);
        Time.Advance(TimeSpan.FromSeconds(4));
        var ready = RecordJobsReady();

        Assert.Equal(JobCancelOutcome.Cancelled, (await CancelAsync(ids[0])).Outcome);

        Assert.Equal([(StoreSignals.AnyQueue, Start.AddSeconds(4))], ready);
        Assert.Equal(ids[1], (await ClaimOneAsync("b")).Id);
    }

    [Fact]
    public async Task A_refused_completion_or_cancel_raises_no_signal()
    {
        await InsertManyAsync([Job(concurrencyKey: "k"), Job()]);
        var claimed = await ClaimAsync(limit: 2);
        var (keyed, plain) = (claimed.Single(c => c.Id == claimed.Min(x => x.Id)), claimed.Single(c => c.Id == claimed.Max(x => x.Id)));
        Assert.True(await CompleteAsync(plain, JobOutcome.Succeeded));
        var ready = RecordJobsReady();
        var cancels = new List<long>();
        Store.Signals.CancelRequested += cancels.Add;

        Assert.False(await CompleteAsync(keyed, JobOutcome.Retry, error: "x", token: keyed.LeaseToken + 1));
        Assert.Equal(JobCancelOutcome.AlreadyFinished, (await CancelAsync(plain.Id)).Outcome);
        Assert.Equal(JobCancelOutcome.NotFound, (await CancelAsync(98_765)).Outcome);

        Assert.Empty(ready);
        Assert.Empty(cancels);
    }
}
