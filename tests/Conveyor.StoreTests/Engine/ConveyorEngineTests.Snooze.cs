using Microsoft.Extensions.Time.Testing;

namespace Conveyor.StoreTests.Engine;

public abstract partial class ConveyorEngineTests<TFactory>
{
    private static readonly DateTimeOffset SnoozeStart = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_job_that_snoozes_twice_then_succeeds_uses_one_attempt_and_waits_each_delay()
    {
        var time = new FakeTimeProvider(SnoozeStart);
        var queue = "snooze-" + Guid.NewGuid().ToString("N")[..12];
        using var telemetry = new TelemetryRecorder(queue);
        var host = BuildHost(o => o.AddQueue(queue).AddJob<SnoozingJob, SnoozingHandler>("snoozing"), out _, time: time);
        await host.StartAsync();
        var client = Client(host);
        var delay = TimeSpan.FromMinutes(5);

        var submitted = await client.EnqueueAsync(new SnoozingJob(Snoozes: 2, Delay: delay), new EnqueueOptions { MaxAttempts = 1, Queue = queue });
        var id = submitted.JobId;

        var first = await WaitForRunAtAsync(client, id, SnoozeStart + delay);
        Assert.Equal((JobState.Scheduled, 0), (first.State, first.Attempt));
        time.Advance(delay);
        var second = await WaitForRunAtAsync(client, id, SnoozeStart + 2 * delay);
        Assert.Equal((JobState.Scheduled, 0), (second.State, second.Attempt));
        time.Advance(delay);
        var job = await WaitForAsync(client, id, JobState.Succeeded);

        Assert.Equal(1, job.Attempt);
        Assert.Equal(3, Probe.CountOf($"{id}:run"));
        Assert.Equal(
            [JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Snoozed, JobEventKind.Started, JobEventKind.Snoozed, JobEventKind.Started, JobEventKind.Succeeded],
            await HistoryAsync(client, id));
        var snoozes = (await client.GetHistoryAsync(id)).Where(e => e.Kind == JobEventKind.Snoozed).ToList();
        Assert.Equal([SnoozeStart, SnoozeStart + delay], snoozes.Select(e => e.At));
        Assert.All(snoozes, e => Assert.Equal((1, "Snoozed for 00:05:00; the attempt is not charged."), (e.Attempt, e.Message)));
        Assert.Null(job.LastError);

        await telemetry.WaitUntilAsync(t => t.Count("conveyor.jobs.succeeded", "snoozing") == 1, Patience, "the success");
        Assert.Equal((3, 2), (telemetry.Count("conveyor.jobs.started", "snoozing"), telemetry.Count("conveyor.jobs.snoozed", "snoozing")));
        Assert.Equal(0, telemetry.Count("conveyor.jobs.retried", "snoozing"));
        Assert.Equal(2, telemetry.Of("conveyor.job.duration").Count(m => Equals(m.Tags["outcome"], "snoozed")));
    }

    [Fact]
    public async Task A_handler_that_catches_its_snooze_still_snoozes()
    {
        var time = new FakeTimeProvider(SnoozeStart);
        var host = BuildHost(o => o.AddJob<SnoozingJob, SnoozingHandler>("snoozing"), out _, time: time);
        await host.StartAsync();
        var client = Client(host);

        var submitted = await client.EnqueueAsync(new SnoozingJob(Snoozes: 1, Delay: TimeSpan.FromSeconds(30), Swallow: true));

        var job = await WaitForRunAtAsync(client, submitted.JobId, SnoozeStart.AddSeconds(30));
        Assert.Equal((JobState.Scheduled, 0), (job.State, job.Attempt));
        Assert.Equal(JobEventKind.Snoozed, (await HistoryAsync(client, job.Id))[^1]);
    }

    [Fact]
    public async Task A_snooze_of_a_job_whose_cancellation_was_requested_ends_it_cancelled()
    {
        var host = await StartHostAsync(o => o.AddJob<SnoozingJob, SnoozingHandler>("snoozing"));
        var client = Client(host);
        var submitted = await client.EnqueueAsync(new SnoozingJob(Snoozes: 1, Delay: TimeSpan.FromMinutes(1), AfterGate: true));
        await Probe.StartedSignal(submitted.JobId).Task.WaitAsync(Patience);

        Assert.Equal(JobCancelOutcome.CancelRequested, (await client.CancelAsync(submitted.JobId)).Outcome);
        Probe.Gate.SetResult();

        var job = await WaitForAsync(client, submitted.JobId, JobState.Cancelled);
        var history = await HistoryAsync(client, job.Id);
        Assert.Equal(JobEventKind.Cancelled, history[^1]);
        Assert.DoesNotContain(JobEventKind.Snoozed, history);
    }

    /// <summary>Waits until the job's due time is <paramref name="runAt"/> (its snooze applied); fails after <see cref="EngineTestBase{TFactory}.Patience"/>.</summary>
    private static async Task<JobInfo> WaitForRunAtAsync(IJobClient client, long jobId, DateTimeOffset runAt)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            var job = await client.GetAsync(jobId);
            if (job?.RunAt == runAt)
                return job;
            if (deadline.IsCancellationRequested)
                throw new Xunit.Sdk.XunitException($"Job {jobId} is due at {job?.RunAt:O}, not {runAt:O}, after {Patience}.");
            await Task.Delay(10);
        }
    }
}

/// <summary>Snoozes on its first <see cref="Snoozes"/> runs, then succeeds; waits for the probe's gate first when <see cref="AfterGate"/> is set.</summary>
public sealed record SnoozingJob(int Snoozes, TimeSpan Delay, bool Swallow = false, bool AfterGate = false);

public sealed class SnoozingHandler(Probe probe, ScopedThing scoped) : IJobHandler<SnoozingJob>
{
    public async Task HandleAsync(JobContext<SnoozingJob> job, CancellationToken cancellationToken)
    {
        using var _ = probe.Enter(job, scoped.Id);
        probe.Count($"{job.JobId}:run");
        if (job.Payload.AfterGate)
            await probe.Gate.Task.WaitAsync(Timeout.InfiniteTimeSpan, CancellationToken.None);   // ignores its token on purpose
        if (probe.CountOf($"{job.JobId}:run") > job.Payload.Snoozes)
            return;
        try
        {
            job.Snooze(job.Payload.Delay);
        }
        catch (JobSnoozedException) when (job.Payload.Swallow)
        {
            // Caught against the advice: the attempt still ends snoozed.
        }
    }
}
