using Npgsql;

namespace Conveyor.ProcessWorker;

/// <summary>The payload: how long the handler works after writing its row.</summary>
public sealed record EffectJob(int DurationMs)
{
    public const string Kind = "effect.write";
}

/// <summary>Writes one effect row and commits it with the job's success, or fails transiently before the commit.</summary>
public sealed class EffectHandler(WorkerSettings settings) : IJobHandler<EffectJob>
{
    public async Task HandleAsync(JobContext<EffectJob> job, CancellationToken cancellationToken)
    {
        await using var tx = await job.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand($"INSERT INTO \"{settings.Schema}\".effects (job_id, attempt, worker) VALUES ($1, $2, $3)", tx.Connection, tx.Transaction))
        {
            insert.Parameters.AddWithValue(job.JobId);
            insert.Parameters.AddWithValue(job.Attempt);
            insert.Parameters.AddWithValue(settings.WorkerId);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        if (job.Payload.DurationMs > 0)
            await Task.Delay(job.Payload.DurationMs, cancellationToken);
        if (Random.Shared.NextDouble() < settings.FailureRate)
            throw new TimeoutException($"Simulated transient failure of job {job.JobId} on attempt {job.Attempt}.");
        await tx.CommitAsync(cancellationToken);
    }
}
