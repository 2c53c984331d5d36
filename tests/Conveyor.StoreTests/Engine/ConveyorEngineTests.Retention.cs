using Conveyor.Worker;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.StoreTests.Engine;

public abstract partial class ConveyorEngineTests<TFactory>
{
    [Fact]
    public async Task A_host_purges_a_finished_job_once_it_is_older_than_its_retention_age_and_keeps_the_rest()
    {
        var host = await StartHostAsync(o =>
        {
            o.Retention.SucceededFor = TimeSpan.FromMilliseconds(300);
            o.Retention.FailedFor = null;
            o.Retention.CancelledFor = TimeSpan.FromHours(1);
            o.Retention.Interval = TimeSpan.FromMilliseconds(100);
        });
        var client = Client(host);
        var failed = await client.EnqueueAsync(new PermanentJob("keep me for inspection"));
        var scheduled = await client.EnqueueAsync(new EchoJob("later"), new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        await WaitForAsync(client, failed.JobId, JobState.Failed);

        var succeeded = await client.EnqueueAsync(new EchoJob("short-lived"));
        await WaitGoneAsync(client, succeeded.JobId);

        Assert.Contains(Probe.Starts, s => s.JobId == succeeded.JobId);
        Assert.Empty(await client.GetHistoryAsync(succeeded.JobId));
        Assert.Equal(JobState.Failed, (await client.GetAsync(failed.JobId))!.State);
        Assert.Equal(JobState.Scheduled, (await client.GetAsync(scheduled.JobId))!.State);
        Assert.NotEmpty(await client.GetHistoryAsync(failed.JobId));
    }

    [Fact]
    public async Task Retention_purges_in_batches_only_on_the_leader_and_hands_over_on_release_or_expiry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero));
        var store = await Factory.CreateAsync(time);
        var a = RetentionFor("node-a", store, time);
        var b = RetentionFor("node-b", store, time);
        await FinishedJobsAsync(store, 5);
        time.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal(5, await a.RoundAsync(CancellationToken.None));   // batches of 2, 2 and 1, each renewing the lead
        await FinishedJobsAsync(store, 3);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(0, await b.RoundAsync(CancellationToken.None));   // a leads: b purges nothing
        Assert.Equal(3, await CountAsync(store));

        await a.ReleaseAsync();
        Assert.Equal(3, await b.RoundAsync(CancellationToken.None));   // released: b takes over at once
        await FinishedJobsAsync(store, 1);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(0, await a.RoundAsync(CancellationToken.None));   // b leads
        Assert.Equal(1, await CountAsync(store));

        time.Advance(b.Ttl + TimeSpan.FromSeconds(1));                  // b died without a word: its lead lapses
        Assert.Equal(1, await a.RoundAsync(CancellationToken.None));
        Assert.Equal(0, await b.RoundAsync(CancellationToken.None));
        Assert.Equal(0, await CountAsync(store));
    }

    [Fact]
    public async Task Retention_stopped_releases_its_leadership_so_another_worker_need_not_wait_for_it_to_lapse()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero));
        var store = await Factory.CreateAsync(time);
        var a = RetentionFor("node-a", store, time);
        var ids = await FinishedJobsAsync(store, 1);
        time.Advance(TimeSpan.FromSeconds(20));
        using var stop = new CancellationTokenSource();

        // The loop's first wait starts at once, on the fake clock; one interval later the round runs on its own.
        var running = a.RunAsync(stop.Token);
        time.Advance(TimeSpan.FromMinutes(1));
        using (var deadline = new CancellationTokenSource(Patience))
        {
            while (await store.JobGetAsync(ids[0], CancellationToken.None) is not null)
            {
                deadline.Token.ThrowIfCancellationRequested();
                await Task.Delay(10);
            }
        }
        var other = new LeaderAcquireParams(Retention.LeaderName, "node-b", TimeSpan.FromMinutes(3));
        Assert.False(await store.LeaderTryAcquireAsync(other, CancellationToken.None));

        await stop.CancelAsync();
        await running.WaitAsync(Patience);

        Assert.True(await store.LeaderTryAcquireAsync(other, CancellationToken.None));
    }

    private static Retention RetentionFor(string workerId, IJobStore store, TimeProvider time)
    {
        var options = new ConveyorOptions { WorkerId = workerId };
        options.Retention.SucceededFor = TimeSpan.FromSeconds(10);
        options.Retention.Interval = TimeSpan.FromMinutes(1);
        options.Retention.BatchSize = 2;
        return new Retention(options, store, time, NullLogger.Instance);
    }

    /// <summary>Inserts <paramref name="count"/> jobs and runs them to success at the store's current time.</summary>
    private static async Task<List<long>> FinishedJobsAsync(IJobStore store, int count)
    {
        var ids = (await store.JobsInsertAsync(new JobsInsertParams([.. Enumerable.Range(0, count).Select(i => new NewJob
        {
            Kind = "echo", Queue = "default", Payload = $$"""{"text":"{{i}}"}""", MaxAttempts = 1, Principal = JobPrincipal.System,
        })]), CancellationToken.None)).Select(r => r.JobId).ToList();
        var claimed = await store.JobsClaimAsync(new JobsClaimParams("default", count, "node-x", TimeSpan.FromMinutes(1)), CancellationToken.None);
        Assert.Equal(count, claimed.Count);
        await store.JobsCompleteAsync(new JobsCompleteParams([.. claimed.Select(c => new JobCompletion { Lease = new JobLease(c.Id, c.LeaseToken), Outcome = JobOutcome.Succeeded })]), CancellationToken.None);
        return ids;
    }

    private static async Task<int> CountAsync(IJobStore store) =>
        (await store.JobsListAsync(new JobQuery { Limit = 1000 }, CancellationToken.None)).Jobs.Count;

    /// <summary>Waits until the job no longer exists; fails after <see cref="EngineTestBase{TFactory}.Patience"/>.</summary>
    private static async Task WaitGoneAsync(IJobClient client, long jobId)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (await client.GetAsync(jobId) is { } job)
        {
            if (deadline.IsCancellationRequested)
                throw new Xunit.Sdk.XunitException($"Job {jobId} is still there ({job.State.ToWireName()}) after {Patience}.");
            // A condition wait: re-read the store until retention has purged the job.
            await Task.Delay(10);
        }
    }
}
