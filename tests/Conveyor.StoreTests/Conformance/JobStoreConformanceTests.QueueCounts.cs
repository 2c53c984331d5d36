namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private Task<IReadOnlyList<QueueInfo>> QueuesAsync() => Store.QueuesListAsync(CancellationToken.None);

    /// <summary>Inserts a job into its own queue, claims it, lets <paramref name="runFor"/> pass and completes it with <paramref name="outcome"/>.</summary>
    private async Task<long> RunToEndAsync(NewJob job, JobOutcome outcome, TimeSpan runFor = default)
    {
        var id = await InsertAsync(job);
        var claimed = await ClaimOneAsync(job.Queue);
        Assert.Equal(id, claimed.Id);
        Time.Advance(runFor);
        Assert.True(await CompleteAsync(claimed, outcome, error: outcome == JobOutcome.Failed ? "boom" : null));
        return id;
    }

    [Fact]
    public async Task Queue_counts_split_waiting_jobs_by_the_store_clock_and_leave_out_finished_ones()
    {
        // Queue a, in claim order: a dead letter, a success, a cancellation, a running job; then two ready and one scheduled.
        await RunToEndAsync(Job(queue: "a", runAt: Start.AddMinutes(-40)), JobOutcome.Failed);
        await RunToEndAsync(Job(queue: "a", runAt: Start.AddMinutes(-30)), JobOutcome.Succeeded);
        await CancelAsync(await InsertAsync(Job(queue: "a")));
        await InsertAsync(Job(queue: "a", runAt: Start.AddMinutes(-20)));
        await ClaimOneAsync("a");
        await InsertManyAsync([
            Job(queue: "a", runAt: Start.AddMinutes(-10)),
            Job(queue: "a"),
            Job(queue: "a", delay: TimeSpan.FromMinutes(5)),
            Job(queue: "c", delay: TimeSpan.FromMinutes(5)),
        ]);
        await SetPausedAsync("b", paused: true);
        // A minute on, the running job's 30-second lease has expired: it counts as stuck too.
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(
            [
                new QueueInfo("a", Pending: 2, Scheduled: 1, Running: 1, AwaitingInput: 0, Failed: 1, TimeSpan.FromMinutes(11), Paused: false, Stuck: 1),
                new QueueInfo("b", 0, 0, 0, 0, 0, null, Paused: true, 0, PausedAt: Start),
                new QueueInfo("c", 0, 1, 0, 0, 0, null, false, 0),
            ],
            await QueuesAsync());

        // Five minutes after submission the scheduled jobs are due: nothing was written, the clock decides.
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(
            [
                new QueueInfo("a", 3, 0, 1, 0, 1, TimeSpan.FromMinutes(16), false, 1),
                new QueueInfo("b", 0, 0, 0, 0, 0, null, true, 0, PausedAt: Start),
                new QueueInfo("c", 1, 0, 0, 0, 0, TimeSpan.FromMinutes(1), false, 0),
            ],
            await QueuesAsync());
    }

    [Fact]
    public async Task Queue_counts_show_a_paused_queue_with_jobs_as_paused_and_an_empty_store_has_no_queues()
    {
        Assert.Empty(await QueuesAsync());
        await InsertAsync(Job(queue: "mail"));
        await SetPausedAsync("mail", paused: true);

        Assert.Equal([new QueueInfo("mail", 1, 0, 0, 0, 0, TimeSpan.Zero, true, 0, PausedAt: Start)], await QueuesAsync());

        await SetPausedAsync("mail", paused: false);
        Assert.False(Assert.Single(await QueuesAsync()).Paused);
    }

    [Fact]
    public async Task A_paused_queue_shows_who_paused_it_and_when_until_it_is_resumed()
    {
        await InsertAsync(Job(queue: "mail"));
        Time.Advance(TimeSpan.FromMinutes(3));
        await Store.QueueSetPausedAsync(new QueueSetPausedParams("mail", true, "olga"), CancellationToken.None);

        var paused = Assert.Single(await QueuesAsync());
        Assert.Equal(("olga", Start.AddMinutes(3)), (paused.PausedBy, paused.PausedAt));

        await Store.QueueSetPausedAsync(new QueueSetPausedParams("mail", false, "ivan"), CancellationToken.None);
        var resumed = Assert.Single(await QueuesAsync());
        Assert.Equal((false, null, null), (resumed.Paused, resumed.PausedBy, resumed.PausedAt));
    }
}
