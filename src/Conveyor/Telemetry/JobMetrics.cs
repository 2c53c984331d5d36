using System.Diagnostics.Metrics;
using Conveyor.Storage;

namespace Conveyor.Telemetry;

/// <summary>
/// The job counters and histograms (names, units and tags in <c>docs/observability.md</c>). Every method returns at
/// once, before building any tag, when its instrument has no listener.
/// </summary>
internal static class JobMetrics
{
    public const string QueueTag = "queue";
    public const string TypeTag = "job.type";
    public const string OutcomeTag = "outcome";
    public const string StateTag = "state";

    private const string JobUnit = "{job}";

    // Handler run times: from a millisecond to an hour (no-op jobs to long reports).
    private static readonly double[] DurationBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    // Waits: a busy queue drains in milliseconds, a backlog can wait hours.
    private static readonly double[] WaitBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400];

    private static readonly Meter Meter = ConveyorTelemetry.Meter;

    public static readonly Counter<long> Enqueued = Meter.CreateCounter<long>(
        "conveyor.jobs.enqueued", JobUnit, "Jobs the store accepted from this process's client (idempotent repeats not counted).");

    public static readonly Counter<long> Started = Meter.CreateCounter<long>(
        "conveyor.jobs.started", JobUnit, "Attempts this process's workers claimed and started.");

    public static readonly Counter<long> Succeeded = Meter.CreateCounter<long>(
        "conveyor.jobs.succeeded", JobUnit, "Jobs whose success this process's workers recorded in the store.");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>(
        "conveyor.jobs.failed", JobUnit, "Jobs this process's workers dead-lettered (permanent failure or attempts exhausted).");

    public static readonly Counter<long> Retried = Meter.CreateCounter<long>(
        "conveyor.jobs.retried", JobUnit, "Failed attempts this process's workers scheduled for a retry.");

    public static readonly Counter<long> Cancelled = Meter.CreateCounter<long>(
        "conveyor.jobs.cancelled", JobUnit, "Running jobs this process's workers ended as cancelled on request.");

    public static readonly Counter<long> Snoozed = Meter.CreateCounter<long>(
        "conveyor.jobs.snoozed", JobUnit, "Attempts whose handler asked this process's workers to run the job again later, uncharged.");

    public static readonly Counter<long> Stuck = Meter.CreateCounter<long>(
        "conveyor.jobs.stuck", JobUnit, "Running jobs whose lease expired, recovered by this process's reaper.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram(
        "conveyor.job.duration", "s", "How long one attempt's handler ran.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram(
        "conveyor.job.queue_wait", "s", "From a job's submission to the start of its first attempt.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WaitBuckets });

    public static void RecordEnqueued(IReadOnlyList<NewJob> jobs, IReadOnlyList<JobInsertResult> results)
    {
        if (!Enqueued.Enabled)
            return;
        for (var i = 0; i < results.Count; i++)
        {
            if (!results[i].Existing)
                Enqueued.Add(1, new(QueueTag, jobs[i].Queue), new(TypeTag, jobs[i].Kind));
        }
    }

    /// <summary>An attempt started; its queue wait is recorded for first attempts, from the store's own timestamps.</summary>
    public static void RecordStarted(ClaimedJob job, TimeSpan leaseDuration)
    {
        if (Started.Enabled)
            Started.Add(1, new(QueueTag, job.Queue), new(TypeTag, job.Kind));
        if (job.Attempt == 1 && QueueWait.Enabled)
        {
            // The claim stamped the lease's end as its now plus the lease duration; both instants are the store's.
            var startedAt = job.LeaseExpiresAt - leaseDuration;
            var wait = Math.Max(0, (startedAt - job.CreatedAt).TotalSeconds);
            QueueWait.Record(wait, new(QueueTag, job.Queue), new(TypeTag, job.Kind));
        }
    }

    /// <summary>The store applied an attempt's completion.</summary>
    public static void RecordCompleted(JobOutcome outcome, string queue, string kind)
    {
        var counter = outcome switch
        {
            JobOutcome.Succeeded => Succeeded,
            JobOutcome.Failed => Failed,
            JobOutcome.Retry => Retried,
            JobOutcome.Cancelled => Cancelled,
            JobOutcome.Snoozed => Snoozed,
            _ => null,
        };
        if (counter is { Enabled: true })
            counter.Add(1, new(QueueTag, queue), new(TypeTag, kind));
    }

    public static void RecordDuration(TimeSpan elapsed, string queue, string kind, string outcome)
    {
        if (Duration.Enabled)
            Duration.Record(elapsed.TotalSeconds, new(QueueTag, queue), new(TypeTag, kind), new(OutcomeTag, outcome));
    }

    public static void RecordStuck(ReapedJob job)
    {
        if (Stuck.Enabled)
            Stuck.Add(1, new(QueueTag, job.Queue), new(StateTag, job.State.ToWireName()));
    }

    /// <summary>The <c>outcome</c> tag of an attempt: how the worker ended it.</summary>
    public static string OutcomeName(JobOutcome outcome) => outcome switch
    {
        JobOutcome.Succeeded => "succeeded",
        JobOutcome.Retry => "retried",
        JobOutcome.Failed => "failed",
        JobOutcome.Cancelled => "cancelled",
        JobOutcome.Released => "released",
        JobOutcome.Snoozed => "snoozed",
        _ => "unknown",
    };

    /// <summary>The <c>outcome</c> tag of an attempt whose lease was lost: its ending was discarded.</summary>
    public const string LostOutcome = "lost";

    /// <summary>The outcome of an attempt that suspended its job on a question (awaiting input).</summary>
    public const string SuspendedOutcome = "suspended";
}
