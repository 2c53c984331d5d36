using System.Diagnostics;
using Conveyor.Storage;

namespace Conveyor.Telemetry;

/// <summary>
/// The spans of a job, named and tagged after OpenTelemetry's messaging conventions: a producer span
/// <c>send {queue}</c> around each submission to the store, whose context travels with the job as its W3C
/// <c>traceparent</c>, and a consumer span <c>process {queue}</c> around each attempt, linked to that context.
/// Nothing is allocated while the source has no listener.
/// </summary>
internal static class JobTracing
{
    public const string SystemTag = "messaging.system";
    public const string OperationTypeTag = "messaging.operation.type";
    public const string OperationNameTag = "messaging.operation.name";
    public const string DestinationTag = "messaging.destination.name";
    public const string MessageIdTag = "messaging.message.id";
    public const string BatchCountTag = "messaging.batch.message_count";
    public const string TypeTag = "conveyor.job.type";
    public const string AttemptTag = "conveyor.job.attempt";
    public const string OutcomeTag = "conveyor.job.outcome";
    public const string SystemName = "conveyor";

    private static ActivitySource Source => ConveyorTelemetry.Source;

    /// <summary>Starts the producer span of a submission of <paramref name="jobs"/> (not empty); null when nobody listens.</summary>
    public static Activity? StartSend(IReadOnlyList<NewJob> jobs)
    {
        if (!Source.HasListeners())
            return null;
        var queue = jobs[0].Queue;
        var kind = jobs[0].Kind;
        for (var i = 1; i < jobs.Count && (queue is not null || kind is not null); i++)
        {
            if (queue is not null && !string.Equals(queue, jobs[i].Queue, StringComparison.Ordinal))
                queue = null;
            if (kind is not null && !string.Equals(kind, jobs[i].Kind, StringComparison.Ordinal))
                kind = null;
        }
        var activity = Source.StartActivity(queue is null ? "send" : "send " + queue, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SystemTag, SystemName);
            activity.SetTag(OperationTypeTag, "send");
            activity.SetTag(OperationNameTag, "send");
            if (queue is not null)
                activity.SetTag(DestinationTag, queue);
            if (kind is not null)
                activity.SetTag(TypeTag, kind);
            if (jobs.Count > 1)
                activity.SetTag(BatchCountTag, jobs.Count);
        }
        return activity;
    }

    /// <summary>The W3C <c>traceparent</c> a submission made now should carry: that of the current activity, if W3C.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>Records what the store answered on the producer span.</summary>
    public static void SendSucceeded(Activity activity, IReadOnlyList<JobInsertResult> results)
    {
        if (activity.IsAllDataRequested && results.Count == 1)
            activity.SetTag(MessageIdTag, results[0].JobId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Starts the consumer span of one attempt, as a new trace linked to the submission's context when the job
    /// carries a valid <c>traceparent</c>; null when nobody listens. Call it where the span may become current for
    /// the handler (it is made current by the start).
    /// </summary>
    public static Activity? StartProcess(ClaimedJob job)
    {
        if (!Source.HasListeners())
            return null;
        ActivityLink[]? links = null;
        if (job.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, null, isRemote: true, out var submitted))
            links = [new ActivityLink(submitted)];
        // Each attempt is its own trace: whatever was current on the claim loop is no parent of it.
        Activity.Current = null;
        var activity = Source.StartActivity("process " + job.Queue, ActivityKind.Consumer, parentContext: default, links: links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SystemTag, SystemName);
            activity.SetTag(OperationTypeTag, "process");
            activity.SetTag(OperationNameTag, "process");
            activity.SetTag(DestinationTag, job.Queue);
            activity.SetTag(MessageIdTag, job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag(TypeTag, job.Kind);
            activity.SetTag(AttemptTag, job.Attempt);
        }
        return activity;
    }

    /// <summary>Ends an attempt's span with its outcome; an attempt that failed (retried or dead-lettered) has status Error.</summary>
    public static void ProcessEnded(Activity activity, string outcome, JobCompletion? completion, Exception? error)
    {
        if (!activity.IsAllDataRequested)
            return;
        activity.SetTag(OutcomeTag, outcome);
        if (completion?.Outcome is JobOutcome.Retry or JobOutcome.Failed)
        {
            activity.SetStatus(ActivityStatusCode.Error, error?.Message ?? completion.Error);
            if (error is not null)
                activity.AddException(error);
        }
    }

    /// <summary>Marks a producer span failed.</summary>
    public static void Failed(Activity activity, Exception error)
    {
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        if (activity.IsAllDataRequested)
            activity.AddException(error);
    }
}
