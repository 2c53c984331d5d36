using Conveyor.Postgres;
using Conveyor.Storage;

namespace Conveyor;

/// <summary>Transactional completion on the PostgreSQL store: a handler's writes and its job's success commit together.</summary>
public static class PostgresJobContextExtensions
{
    /// <summary>
    /// Begins a transaction on the jobs' database (a connection of the store's own pool) that ends the job: the handler
    /// writes its effects through it and calls <see cref="PostgresJobTransaction.CommitAsync"/>, which records the job's
    /// success in the same transaction and commits both, or neither when the attempt lost its lease. Disposing it
    /// without committing rolls back. See <see cref="PostgresJobTransaction"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The job was not claimed through the PostgreSQL store (<c>UsePostgres</c>), or the attempt already completed.
    /// </exception>
    public static async ValueTask<PostgresJobTransaction> BeginTransactionAsync(this JobContext context, CancellationToken cancellationToken = default)
    {
        var attempt = StoreAttempt.Of(context);
        if (attempt.IsCompleted)
            throw new InvalidOperationException($"Job {context.JobId} attempt {context.Attempt} already completed in its transaction.");
        var store = attempt.Store as PostgresJobStore
            ?? throw new InvalidOperationException($"Transactional completion needs the PostgreSQL store (o.UsePostgres); this job came from {attempt.Store.GetType().Name}.");
        return await store.BeginAttemptTransactionAsync(attempt, cancellationToken);
    }
}
