using System.Collections.Concurrent;
using System.Diagnostics;
using Conveyor.Storage;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Tests.Telemetry;

/// <summary>
/// The consumer span of an attempt: a new trace, linked to the traceparent the job carries, tagged and given its
/// outcome. The store is not involved (the handlers never reach it); each test uses a job id of its own, since the
/// activity source is process-wide.
/// </summary>
public sealed class JobTracingTests : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public JobTracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ConveyorTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task An_attempt_runs_in_a_consumer_span_linked_to_the_jobs_traceparent()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var id = NextId();

        var completion = await Executor().RunAsync(Run(id, new TracedJob(Fail: false), traceParent));

        Assert.Equal(JobOutcome.Succeeded, completion?.Outcome);
        var span = SpanOf(id);
        Assert.Equal(ActivityKind.Consumer, span.Kind);
        Assert.Equal("process default", span.DisplayName);
        var link = Assert.Single(span.Links);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", link.Context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", link.Context.SpanId.ToHexString());
        Assert.NotEqual(link.Context.TraceId, span.TraceId);
        Assert.Null(span.ParentId);
        Assert.Equal("traced", span.GetTagItem("conveyor.job.type"));
        Assert.Equal(2, span.GetTagItem("conveyor.job.attempt"));
        Assert.Equal("default", span.GetTagItem("messaging.destination.name"));
        Assert.Equal("conveyor", span.GetTagItem("messaging.system"));
        Assert.Equal("process", span.GetTagItem("messaging.operation.type"));
        Assert.Equal("succeeded", span.GetTagItem("conveyor.job.outcome"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        // The handler saw its attempt's span as the current activity.
        Assert.Equal(span.SpanId, TracedHandler.Seen[id]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-traceparent")]
    public async Task A_job_without_a_valid_traceparent_gets_a_span_without_links(string? traceParent)
    {
        var id = NextId();

        await Executor().RunAsync(Run(id, new TracedJob(Fail: false), traceParent));

        Assert.Empty(SpanOf(id).Links);
    }

    [Fact]
    public async Task A_failed_attempt_ends_its_span_with_status_error_and_the_exception()
    {
        var id = NextId();

        var completion = await Executor().RunAsync(Run(id, new TracedJob(Fail: true), null));

        Assert.Equal(JobOutcome.Retry, completion?.Outcome);
        var span = SpanOf(id);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("upstream down", span.StatusDescription);
        Assert.Equal("retried", span.GetTagItem("conveyor.job.outcome"));
        Assert.Equal("exception", Assert.Single(span.Events).Name);
    }

    private static long _nextId = 1000;

    private static long NextId() => Interlocked.Increment(ref _nextId);

    private Activity SpanOf(long id) =>
        Assert.Single(_stopped, a => Equals(a.GetTagItem("messaging.message.id"), id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static JobExecutor Executor()
    {
        var options = new ConveyorOptions { WorkerId = "worker-1" };
        options.AddJob<TracedJob, TracedHandler>("traced");
        var scopes = new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();
        return new JobExecutor(options, null!, scopes, TimeProvider.System, NullLogger.Instance);
    }

    private static RunningJob Run(long id, TracedJob payload, string? traceParent) => new(new ClaimedJob
    {
        Id = id,
        Kind = "traced",
        Queue = "default",
        Priority = JobPriority.Normal,
        Payload = System.Text.Json.JsonSerializer.Serialize(payload, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)),
        Attempt = 2,
        MaxAttempts = 3,
        LeaseToken = 1,
        LeaseExpiresAt = DateTimeOffset.UnixEpoch,
        Principal = JobPrincipal.System,
        CreatedAt = DateTimeOffset.UnixEpoch,
        TraceParent = traceParent,
    }, "worker-1");

    public sealed record TracedJob(bool Fail);

    public sealed class TracedHandler : IJobHandler<TracedJob>
    {
        public static ConcurrentDictionary<long, ActivitySpanId?> Seen { get; } = new();

        public Task HandleAsync(JobContext<TracedJob> job, CancellationToken cancellationToken)
        {
            Seen[job.JobId] = Activity.Current?.SpanId;
            return job.Payload.Fail ? throw new InvalidOperationException("upstream down") : Task.CompletedTask;
        }
    }
}
