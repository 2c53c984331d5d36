using Conveyor.StoreTests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Conveyor.StoreTests.Engine;

/// <summary>The engine end to end: client, worker host and a real store, one subclass per store.</summary>
public abstract partial class ConveyorEngineTests<TFactory> : EngineTestBase<TFactory>
    where TFactory : IStoreFactory, new()
{
    [Fact]
    public async Task A_job_runs_as_its_submitter_and_the_engine_stamps_its_whole_life()
    {
        var host = await StartHostAsync();
        var client = Client(host);
        var ada = new JobPrincipal("ada", "lab-1", ["submitter"]);

        var submitted = await client.EnqueueAsync(new EchoJob("hello", Steps: 2), new EnqueueOptions { Principal = ada, Tags = ["demo"] });
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        Assert.Equal(ada, Assert.Single(Probe.Starts).Principal);
        Assert.Equal(1, job.Attempt);
        Assert.NotNull(job.StartedAt);
        Assert.NotNull(job.FinishedAt);
        Assert.True(job.CreatedAt <= job.StartedAt && job.StartedAt <= job.FinishedAt);
        Assert.Equal("""{"echoed":"hello","by":"ada"}""", job.Result);
        Assert.Equal(new JobArtifact("report", $"/tmp/report-{job.Id}.txt", "text/plain"), Assert.Single(job.Artifacts));
        Assert.Equal(new JobProgress(100, "step-2", "step 2 of 2"), job.Progress);
        Assert.Equal(
            [JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Progress, JobEventKind.Log, JobEventKind.Progress, JobEventKind.Log, JobEventKind.Succeeded],
            await HistoryAsync(client, job.Id));
        var history = await client.GetHistoryAsync(job.Id);
        Assert.Equal("ada", history[0].Actor);
        Assert.Equal("finished step 1", history[3].Message);
    }

    [Fact]
    public async Task Each_attempt_gets_its_own_dependency_injection_scope()
    {
        var host = await StartHostAsync();
        var client = Client(host);

        var ids = await client.EnqueueManyAsync([new EchoJob("a"), new EchoJob("b"), new EchoJob("c")]);
        foreach (var id in ids)
            await WaitForAsync(client, id.JobId, JobState.Succeeded);

        Assert.Equal(3, Probe.Starts.Select(s => s.Scope).Distinct().Count());
    }

    [Fact]
    public async Task A_transient_failure_is_retried_until_it_succeeds()
    {
        var host = await StartHostAsync();
        var client = Client(host);

        var submitted = await client.EnqueueAsync(new FlakyJob(SucceedOnAttempt: 3));
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        Assert.Equal(3, job.Attempt);
        Assert.Contains("upstream timed out on attempt 2", job.LastError, StringComparison.Ordinal);
        Assert.Equal(
            [JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.RetryScheduled, JobEventKind.Started, JobEventKind.RetryScheduled, JobEventKind.Started, JobEventKind.Succeeded],
            await HistoryAsync(client, job.Id));
    }

    [Fact]
    public async Task A_job_that_keeps_failing_is_dead_lettered_after_its_last_attempt()
    {
        var host = await StartHostAsync();
        var client = Client(host);

        var submitted = await client.EnqueueAsync(new FlakyJob(SucceedOnAttempt: 99), new EnqueueOptions { MaxAttempts = 2 });
        var job = await WaitForAsync(client, submitted.JobId, JobState.Failed);

        Assert.Equal(2, job.Attempt);
        Assert.StartsWith("Attempts exhausted (2 of 2).", job.LastError, StringComparison.Ordinal);
        Assert.Equal(JobEventKind.Failed, (await HistoryAsync(client, job.Id))[^1]);
        var deadLetters = await client.ListAsync(new JobQuery { States = [JobState.Failed] });
        Assert.Equal(job.Id, Assert.Single(deadLetters.Jobs).Id);
    }

    [Fact]
    public async Task A_permanent_failure_is_dead_lettered_at_once_and_a_requeue_runs_it_again()
    {
        var host = await StartHostAsync();
        var client = Client(host);

        var submitted = await client.EnqueueAsync(new PermanentJob("the account no longer exists"));
        var failed = await WaitForAsync(client, submitted.JobId, JobState.Failed);
        Assert.Equal(1, failed.Attempt);
        Assert.Equal("the account no longer exists", failed.LastError);

        var requeued = await client.RequeueAsync(failed.Id, actor: "operator-1");
        Assert.Equal(JobRequeueOutcome.Requeued, requeued.Outcome);
        await WaitForAsync(client, failed.Id, JobState.Failed);
        var history = await client.GetHistoryAsync(failed.Id);
        Assert.Contains(history, e => e.Kind == JobEventKind.Requeued && e.Actor == "operator-1");
        Assert.Equal(2, Probe.Starts.Count);
    }

    [Fact]
    public async Task A_job_whose_type_this_worker_does_not_know_fails_permanently()
    {
        var host = BuildHost(o => o.AddJob<OrphanJob, OrphanHandler>("orphan"), out var location);
        var producer = Client(host);
        var submitted = await producer.EnqueueAsync(new OrphanJob());

        var worker = BuildHost(null, out _, existingLocation: location);
        await worker.StartAsync();
        var job = await WaitForAsync(Client(worker), submitted.JobId, JobState.Failed);

        Assert.Contains("Unknown job type 'orphan'", job.LastError, StringComparison.Ordinal);
        Assert.Equal(1, job.Attempt);
    }

    [Fact]
    public async Task An_attempt_that_outlives_its_timeout_fails_as_transient()
    {
        var host = await StartHostAsync();
        var client = Client(host);

        var submitted = await client.EnqueueAsync(new SlowJob(), new EnqueueOptions { MaxAttempts = 2 });
        var job = await WaitForAsync(client, submitted.JobId, JobState.Failed);

        Assert.Equal(2, job.Attempt);
        Assert.Contains("Timed out after", job.LastError, StringComparison.Ordinal);
        Assert.Equal(
            [JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.RetryScheduled, JobEventKind.Started, JobEventKind.Failed],
            await HistoryAsync(client, job.Id));
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start_with_every_problem_named()
    {
        var host = BuildHost(o =>
        {
            o.LeaseDuration = TimeSpan.FromSeconds(1);
            o.HeartbeatInterval = TimeSpan.FromSeconds(2);
            o.AddQueue("Bad Name");
            o.AddJob<OrphanJob, OrphanHandler>("orphan", j => j.Queue = "missing");
        }, out _);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.StartsWith("LeaseDuration:", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Queues[Bad Name]:", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("JobTypes[orphan].Queue:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Jobs_sharing_a_concurrency_key_run_one_at_a_time_in_submission_order()
    {
        var host = await StartHostAsync(o => o.AddQueue(ConveyorOptions.DefaultQueueName, q => q.Concurrency = 8));
        var client = Client(host);

        var submissions = Enumerable.Range(0, 40)
            .Select(i => new JobSubmission("echo", $$"""{"text":"{{i}}"}""", new EnqueueOptions { ConcurrencyKey = $"session-{i % 2}" }));
        var ids = (await client.EnqueueBatchAsync(submissions)).Select(r => r.JobId).ToList();
        foreach (var id in ids)
            await WaitForAsync(client, id, JobState.Succeeded);

        var jobs = await Task.WhenAll(ids.Select(id => client.GetAsync(id)));
        foreach (var key in new[] { "session-0", "session-1" })
        {
            var ofKey = jobs.Where(j => j!.ConcurrencyKey == key).ToList();
            var startOrder = ofKey.OrderBy(j => j!.StartedAt).Select(j => j!.Id).ToList();
            Assert.Equal(ofKey.Select(j => j!.Id).Order().ToList(), startOrder);
            for (var i = 1; i < ofKey.Count; i++)
                Assert.True(ofKey[i - 1]!.FinishedAt <= ofKey[i]!.StartedAt, $"{key}: job {ofKey[i]!.Id} started before {ofKey[i - 1]!.Id} finished.");
        }
    }
}

public sealed record OrphanJob;

public sealed class OrphanHandler : IJobHandler<OrphanJob>
{
    public Task HandleAsync(JobContext<OrphanJob> job, CancellationToken cancellationToken) => Task.CompletedTask;
}
