using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.StoreTests.Engine;

public abstract partial class ConveyorEngineTests<TFactory>
{
    [Fact]
    public async Task Cancelling_a_running_job_fires_its_handlers_token_and_ends_it_cancelled()
    {
        var host = await StartHostAsync();
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new BlockingJob());
        await Probe.StartedSignal(submitted.JobId).Task.WaitAsync(Patience);

        var result = await client.CancelAsync(submitted.JobId, actor: "ada");

        Assert.Equal(JobCancelOutcome.CancelRequested, result.Outcome);
        await Probe.CancelledSignal(submitted.JobId).Task.WaitAsync(Patience);
        var job = await WaitForAsync(client, submitted.JobId, JobState.Cancelled);
        Assert.NotNull(job.FinishedAt);
        var history = await client.GetHistoryAsync(job.Id);
        Assert.Contains(history, e => e.Kind == JobEventKind.CancelRequested && e.Actor == "ada");
        Assert.Equal(JobEventKind.Cancelled, history[^1].Kind);
    }

    [Fact]
    public async Task Cancelling_a_waiting_job_cancels_it_before_it_ever_runs()
    {
        var host = await StartHostAsync();
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new EchoJob("later"), new EnqueueOptions { Delay = TimeSpan.FromHours(1) });

        var result = await client.CancelAsync(submitted.JobId);

        Assert.Equal(JobCancelOutcome.Cancelled, result.Outcome);
        Assert.Equal(JobState.Cancelled, result.Job!.State);
        Assert.Empty(Probe.Starts);
    }

    [Fact]
    public async Task A_handler_whose_lease_was_lost_is_cancelled_and_cannot_write()
    {
        var host = BuildHost(null, out var location);
        await host.StartAsync();
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new BlockingJob());
        await Probe.StartedSignal(submitted.JobId).Task.WaitAsync(Patience);

        // Another node whose clock is past the lease recovers the job and claims it: the first holder is now stale.
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1));
        var other = Factory.OpenSibling(await OpenStoreAsync(location, later), later);
        await other.JobsReapAsync(new JobsReapParams(10), CancellationToken.None);
        var reclaimed = Assert.Single(await other.JobsClaimAsync(new JobsClaimParams("default", 1, "node-2", TimeSpan.FromHours(2)), CancellationToken.None));

        await Probe.CancelledSignal(submitted.JobId).Task.WaitAsync(Patience);
        await host.StopAsync(); // flushes whatever the first worker still wanted to write
        var job = await client.GetAsync(submitted.JobId);
        Assert.Equal(JobState.Running, job!.State);
        Assert.Equal(reclaimed.LeaseExpiresAt, job.LeaseExpiresAt);
        Assert.Equal(2, job.Attempt);
        var history = await HistoryAsync(client, job.Id);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Stuck, JobEventKind.Started], history);
    }

    [Fact]
    public async Task Shutdown_cancels_handlers_that_outlast_the_timeout_and_hands_their_jobs_back_uncharged()
    {
        var host = await StartHostAsync(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new BlockingJob());
        await Probe.StartedSignal(submitted.JobId).Task.WaitAsync(Patience);

        await host.StopAsync();

        Assert.True(Probe.CancelledSignal(submitted.JobId).Task.IsCompleted);
        var job = await client.GetAsync(submitted.JobId);
        Assert.Equal(JobState.Pending, job!.State);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(JobEventKind.Released, (await HistoryAsync(client, job.Id))[^1]);
    }

    [Fact]
    public async Task Shutdown_lets_a_handler_that_finishes_in_time_complete()
    {
        var host = await StartHostAsync(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new BlockingJob(HonourGate: true));
        await Probe.StartedSignal(submitted.JobId).Task.WaitAsync(Patience);

        var stopping = host.StopAsync();
        Probe.Gate.TrySetResult();
        await stopping;

        var job = await client.GetAsync(submitted.JobId);
        Assert.Equal(JobState.Succeeded, job!.State);
        Assert.False(Probe.CancelledSignal(submitted.JobId).Task.IsCompleted);
    }

    [Fact]
    public async Task A_stuck_job_is_recovered_by_the_reaper_and_runs_again()
    {
        var host = BuildHost(null, out var location);
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new EchoJob("survivor"));
        // A worker that claims the job with a short lease and then dies without a word.
        var dead = await OpenStoreAsync(location, TimeProvider.System);
        Assert.Single(await dead.JobsClaimAsync(new JobsClaimParams("default", 1, "dead-node", TimeSpan.FromMilliseconds(50)), CancellationToken.None));

        await host.StartAsync();
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        Assert.Equal(2, job.Attempt);
        Assert.Equal(
            [JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Stuck, JobEventKind.Started, JobEventKind.Succeeded],
            await HistoryAsync(client, job.Id));
    }

    private async Task<IJobStore> OpenStoreAsync(string location, TimeProvider time)
    {
        var options = new ConveyorOptions();
        Factory.UseStore(options, location);
        var services = new ServiceCollection().AddSingleton(time).BuildServiceProvider();
        var store = options.StoreFactory!(services);
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }
}
