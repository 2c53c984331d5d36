using Conveyor.Storage;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public async Task<JobCancelResult> JobCancelAsync(JobCancelParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (outcome, freedKey) = await WriteAsync(now =>
        {
            switch (StoredState(parameters.JobId))
            {
                case null:
                    return (JobCancelOutcome.NotFound, false);
                case JobState.Pending or JobState.AwaitingInput:
                    var cancel = Named("CancelWaiting");
                    cancel.Parameters.AddWithValue("@job_id", parameters.JobId);
                    cancel.Parameters.AddWithValue("@now", now);
                    var keyed = cancel.ExecuteScalar() is string;
                    // A job awaiting input takes its question with it.
                    Transition("InteractionsCancelForJob", parameters.JobId, now);
                    AddEvent(Named("EventInsert"), parameters.JobId, now, JobEventKind.Cancelled, parameters.Actor, "Cancelled before it ran.");
                    return (JobCancelOutcome.Cancelled, keyed);
                case JobState.Running:
                    Transition("CancelRunning", parameters.JobId, now);
                    AddEvent(Named("EventInsert"), parameters.JobId, now, JobEventKind.CancelRequested, parameters.Actor, "Cancellation requested while running.");
                    return (JobCancelOutcome.CancelRequested, false);
                default:
                    return (JobCancelOutcome.AlreadyFinished, false);
            }
        }, cancellationToken);
        if (outcome == JobCancelOutcome.CancelRequested)
            Signals.PublishCancelRequested(parameters.JobId);
        // A cancelled waiting job of a concurrency key may have blocked the key's later jobs, in any queue.
        if (freedKey)
            Signals.PublishJobsReady(StoreSignals.AnyQueue, _time.GetUtcNow());
        return new JobCancelResult(outcome, outcome == JobCancelOutcome.NotFound ? null : await JobGetAsync(parameters.JobId, cancellationToken));
    }

    /// <inheritdoc />
    public async Task<JobRequeueResult> JobRequeueAsync(JobRequeueParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (outcome, queue) = await WriteAsync<(JobRequeueOutcome, string?)>(now =>
        {
            var state = StoredState(parameters.JobId);
            if (state is null)
                return (JobRequeueOutcome.NotFound, null);
            if (state != JobState.Failed)
                return (JobRequeueOutcome.NotFailed, null);
            var requeue = Named("Requeue");
            requeue.Parameters.AddWithValue("@job_id", parameters.JobId);
            requeue.Parameters.AddWithValue("@now", now);
            var queue = (string)requeue.ExecuteScalar()!;
            AddEvent(Named("EventInsert"), parameters.JobId, now, JobEventKind.Requeued, parameters.Actor, "Requeued from the dead-letter queue with a fresh attempt budget.");
            return (JobRequeueOutcome.Requeued, queue);
        }, cancellationToken);
        if (queue is not null)
            Signals.PublishJobsReady(queue, _time.GetUtcNow());
        return new JobRequeueResult(outcome, outcome == JobRequeueOutcome.NotFound ? null : await JobGetAsync(parameters.JobId, cancellationToken));
    }

    /// <inheritdoc />
    public async Task QueueSetPausedAsync(QueueSetPausedParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await WriteAsync(now =>
        {
            var set = Named("QueueSetPaused");
            set.Parameters.AddWithValue("@queue", parameters.Queue);
            set.Parameters.AddWithValue("@paused", parameters.Paused ? 1 : 0);
            set.Parameters.AddWithValue("@actor", (object?)parameters.Actor ?? DBNull.Value);
            set.Parameters.AddWithValue("@now", now);
            return set.ExecuteNonQuery();
        }, cancellationToken);
        if (!parameters.Paused)
            Signals.PublishJobsReady(parameters.Queue, _time.GetUtcNow());
    }

    private JobState? StoredState(long jobId)
    {
        var find = Named("JobStateFind");
        find.Parameters.AddWithValue("@job_id", jobId);
        return find.ExecuteScalar() is long state ? (JobState)state : null;
    }

    private void Transition(string name, long jobId, long now)
    {
        var update = Named(name);
        update.Parameters.AddWithValue("@job_id", jobId);
        update.Parameters.AddWithValue("@now", now);
        update.ExecuteNonQuery();
    }
}
