using System.Diagnostics;

namespace Conveyor.StoreTests.Engine;

/// <summary>Metrics and traces of whole job lives (instruments in docs/observability.md).</summary>
public abstract partial class ConveyorEngineTests<TFactory>
{
    private static readonly string[] Counters =
        ["conveyor.jobs.enqueued", "conveyor.jobs.started", "conveyor.jobs.succeeded", "conveyor.jobs.retried", "conveyor.jobs.failed", "conveyor.jobs.cancelled"];

    [Fact]
    public async Task A_job_that_succeeds_counts_one_enqueue_start_and_success_and_one_timed_attempt()
    {
        using var telemetry = new TelemetryRecorder(NewQueueName());
        var client = Client(await StartHostAsync(o => o.AddQueue(telemetry.Queue)));

        var submitted = await client.EnqueueAsync(new EchoJob("hi"), new EnqueueOptions { Queue = telemetry.Queue });
        await WaitForAsync(client, submitted.JobId, JobState.Succeeded);
        await telemetry.WaitUntilAsync(t => t.Count("conveyor.jobs.succeeded", "echo") == 1, Patience, "the success");

        AssertCounts(telemetry, "echo", enqueued: 1, started: 1, succeeded: 1, retried: 0, failed: 0);
        var duration = Assert.Single(telemetry.Of("conveyor.job.duration"));
        Assert.Equal("succeeded", duration.Tags["outcome"]);
        Assert.Equal("echo", duration.Tags["job.type"]);
        Assert.InRange(duration.Value, 0, Patience.TotalSeconds);
        var wait = Assert.Single(telemetry.Of("conveyor.job.queue_wait"));
        Assert.InRange(wait.Value, 0, Patience.TotalSeconds);
    }

    [Fact]
    public async Task A_job_that_retries_then_succeeds_counts_every_attempt_and_times_each()
    {
        using var telemetry = new TelemetryRecorder(NewQueueName());
        var client = Client(await StartHostAsync(o => o.AddQueue(telemetry.Queue)));

        var submitted = await client.EnqueueAsync(new FlakyJob(SucceedOnAttempt: 3), new EnqueueOptions { Queue = telemetry.Queue });
        await WaitForAsync(client, submitted.JobId, JobState.Succeeded);
        await telemetry.WaitUntilAsync(t => t.Count("conveyor.jobs.succeeded", "flaky") == 1, Patience, "the success");

        AssertCounts(telemetry, "flaky", enqueued: 1, started: 3, succeeded: 1, retried: 2, failed: 0);
        Assert.Equal(["retried", "retried", "succeeded"], telemetry.Of("conveyor.job.duration").Select(d => (string)d.Tags["outcome"]!).Order(StringComparer.Ordinal));
        // The queue wait is that of the first attempt only.
        Assert.Single(telemetry.Of("conveyor.job.queue_wait"));
        var attempts = telemetry.Activities.Where(a => a.Kind == ActivityKind.Consumer).OrderBy(a => a.GetTagItem("conveyor.job.attempt")).ToList();
        Assert.Equal([1, 2, 3], attempts.Select(a => (int)a.GetTagItem("conveyor.job.attempt")!));
        Assert.Equal([ActivityStatusCode.Error, ActivityStatusCode.Error, ActivityStatusCode.Unset], attempts.Select(a => a.Status));
        Assert.All(attempts, a => Assert.Equal(submitted.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture), a.GetTagItem("messaging.message.id")));
    }

    [Fact]
    public async Task A_job_that_fails_permanently_counts_one_dead_letter()
    {
        using var telemetry = new TelemetryRecorder(NewQueueName());
        var client = Client(await StartHostAsync(o => o.AddQueue(telemetry.Queue)));

        var submitted = await client.EnqueueAsync(new PermanentJob("bad input"), new EnqueueOptions { Queue = telemetry.Queue });
        await WaitForAsync(client, submitted.JobId, JobState.Failed);
        await telemetry.WaitUntilAsync(t => t.Count("conveyor.jobs.failed", "permanent") == 1, Patience, "the dead letter");

        AssertCounts(telemetry, "permanent", enqueued: 1, started: 1, succeeded: 0, retried: 0, failed: 1);
        Assert.Equal("failed", Assert.Single(telemetry.Of("conveyor.job.duration")).Tags["outcome"]);
        var attempt = Assert.Single(telemetry.Activities, a => a.Kind == ActivityKind.Consumer);
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
        Assert.Equal("bad input", attempt.StatusDescription);
        Assert.Equal("failed", attempt.GetTagItem("conveyor.job.outcome"));
    }

    [Fact]
    public async Task An_idempotent_repeat_is_not_counted_as_enqueued()
    {
        using var telemetry = new TelemetryRecorder(NewQueueName());
        var client = Client(await StartHostAsync(o => o.AddQueue(telemetry.Queue, q => q.Concurrency = 0)));
        var options = new EnqueueOptions { Queue = telemetry.Queue, IdempotencyKey = "once" };

        await client.EnqueueAsync(new EchoJob("a"), options);
        Assert.True((await client.EnqueueAsync(new EchoJob("a"), options)).AlreadyExisted);

        Assert.Equal(1, telemetry.Count("conveyor.jobs.enqueued", "echo"));
    }

    // Passes once the stores persist NewJob.TraceParent and return it as ClaimedJob.TraceParent (the store branch);
    // it passed here with a store decorator carrying the traceparent in memory in place of the column.
    [Fact]
    public async Task The_attempts_span_links_to_the_span_that_submitted_the_job()
    {
        using var telemetry = new TelemetryRecorder(NewQueueName());
        var client = Client(await StartHostAsync(o => o.AddQueue(telemetry.Queue)));
        using var source = new ActivitySource("Conveyor.StoreTests");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        EnqueueResult submitted;
        using (var request = source.StartActivity("request"))
        {
            Assert.NotNull(request);
            submitted = await client.EnqueueAsync(new EchoJob("traced"), new EnqueueOptions { Queue = telemetry.Queue });
        }
        await WaitForAsync(client, submitted.JobId, JobState.Succeeded);
        await telemetry.WaitUntilAsync(t => t.Activities.Any(a => a.Kind == ActivityKind.Consumer), Patience, "the attempt's span");

        var send = Assert.Single(telemetry.Activities, a => a.Kind == ActivityKind.Producer);
        var process = Assert.Single(telemetry.Activities, a => a.Kind == ActivityKind.Consumer);
        Assert.Equal($"send {telemetry.Queue}", send.DisplayName);
        Assert.Equal($"process {telemetry.Queue}", process.DisplayName);
        var link = Assert.Single(process.Links);
        Assert.Equal(send.TraceId, link.Context.TraceId);
        Assert.Equal(send.SpanId, link.Context.SpanId);
        Assert.NotEqual(send.TraceId, process.TraceId);
    }

    private static string NewQueueName() => "telemetry-" + Guid.NewGuid().ToString("N")[..12];

    private static void AssertCounts(TelemetryRecorder telemetry, string kind, long enqueued, long started, long succeeded, long retried, long failed)
    {
        long[] expected = [enqueued, started, succeeded, retried, failed, 0];
        Assert.Equal(expected, Counters.Select(c => telemetry.Count(c, kind)));
        Assert.All(telemetry.Measurements, m => Assert.Equal(kind, m.Tags["job.type"]));
    }
}
