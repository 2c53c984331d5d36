using Conveyor.Storage;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>One statement: the change, its event, and the NOTIFY that reaches the node running the job.</remarks>
    public async Task<JobCancelResult> JobCancelAsync(JobCancelParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        JobCancelOutcome outcome;
        bool freedKey;
        DateTimeOffset now;
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var cancel = Command(connection, "JobCancel"))
        {
            cancel.Parameters.AddWithValue("job_id", parameters.JobId);
            cancel.Parameters.Add(Text("actor", parameters.Actor));
            await using var r = await cancel.ExecuteReaderAsync(cancellationToken);
            await r.ReadAsync(cancellationToken);
            outcome = r.IsDBNull(0)
                ? r.IsDBNull(2) ? JobCancelOutcome.NotFound : JobCancelOutcome.AlreadyFinished
                : r.GetInt16(0) == (short)JobState.Running ? JobCancelOutcome.CancelRequested : JobCancelOutcome.Cancelled;
            freedKey = outcome == JobCancelOutcome.Cancelled && r.GetBoolean(1);
            now = r.GetFieldValue<DateTimeOffset>(3);
        }
        if (outcome == JobCancelOutcome.CancelRequested)
            Signals.PublishCancelRequested(parameters.JobId);
        // A cancelled waiting job of a concurrency key may have blocked the key's later jobs, in any queue.
        if (freedKey)
            Signals.PublishJobsReady(StoreSignals.AnyQueue, now);
        EventsAppendedIf(outcome is JobCancelOutcome.Cancelled or JobCancelOutcome.CancelRequested);
        return new JobCancelResult(outcome, outcome == JobCancelOutcome.NotFound ? null : await JobGetAsync(parameters.JobId, cancellationToken));
    }

    /// <inheritdoc />
    public async Task<JobRequeueResult> JobRequeueAsync(JobRequeueParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        JobRequeueOutcome outcome;
        string? queue;
        DateTimeOffset now;
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var requeue = Command(connection, "JobRequeue"))
        {
            requeue.Parameters.AddWithValue("job_id", parameters.JobId);
            requeue.Parameters.Add(Text("actor", parameters.Actor));
            await using var r = await requeue.ExecuteReaderAsync(cancellationToken);
            await r.ReadAsync(cancellationToken);
            queue = r.IsDBNull(0) ? null : r.GetString(0);
            outcome = queue is not null ? JobRequeueOutcome.Requeued : r.IsDBNull(1) ? JobRequeueOutcome.NotFound : JobRequeueOutcome.NotFailed;
            now = r.GetFieldValue<DateTimeOffset>(2);
        }
        if (queue is not null)
            Signals.PublishJobsReady(queue, now);
        EventsAppendedIf(queue is not null);
        return new JobRequeueResult(outcome, outcome == JobRequeueOutcome.NotFound ? null : await JobGetAsync(parameters.JobId, cancellationToken));
    }

    /// <inheritdoc />
    public async Task QueueSetPausedAsync(QueueSetPausedParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        DateTimeOffset now;
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var set = Command(connection, "QueueSetPaused"))
        {
            set.Parameters.Add(new Npgsql.NpgsqlParameter<string>("queue", NpgsqlDbType.Text) { TypedValue = parameters.Queue });
            set.Parameters.AddWithValue("paused", parameters.Paused);
            set.Parameters.Add(new Npgsql.NpgsqlParameter<string?>("actor", NpgsqlDbType.Text) { TypedValue = parameters.Actor });
            await using var r = await set.ExecuteReaderAsync(cancellationToken);
            await r.ReadAsync(cancellationToken);
            now = r.GetFieldValue<DateTimeOffset>(0);
        }
        if (!parameters.Paused)
            Signals.PublishJobsReady(parameters.Queue, now);
    }
}
