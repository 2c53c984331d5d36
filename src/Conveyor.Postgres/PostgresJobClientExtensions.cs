using Conveyor.Postgres;
using Conveyor.Storage;
using Npgsql;

namespace Conveyor;

/// <summary>
/// Transactional enqueue on the PostgreSQL store: jobs submitted inside the caller's own transaction exist if and only
/// if that transaction commits.
/// </summary>
/// <remarks>
/// <para>
/// The submission is validated and routed exactly as <see cref="IJobClient"/> does it, before the transaction is
/// touched (a <see cref="JobValidationException"/> leaves it as it was). The jobs, their <c>enqueued</c> events,
/// idempotency lookups, queue bounds and tenant bounds are written with the same statements as a plain enqueue, on the transaction's
/// connection, which must be on the store's database. Nothing is committed or rolled back here; workers are woken by a
/// NOTIFY that PostgreSQL delivers at the commit (and never after a rollback). A store with
/// <see cref="PostgresStoreOptions.Listen"/> off hears no NOTIFY, so its own workers find the jobs by polling.
/// </para>
/// <para>
/// Unlike a plain enqueue, a deadlock is not retried: PostgreSQL aborts the caller's whole transaction, so the
/// <see cref="PostgresException"/> goes to the caller, who retries the transaction. Use READ COMMITTED (PostgreSQL's
/// default): under REPEATABLE READ or SERIALIZABLE, a concurrent submission with the same idempotency key fails the
/// transaction with a serialisation error instead of returning the existing job. Enqueueing into a bounded queue locks
/// that queue's submissions until the transaction ends, and enqueueing for a bounded tenant (see
/// <see cref="ConveyorOptions.MaxWaitingPerTenant"/>) that tenant's, so keep such transactions short.
/// </para>
/// </remarks>
public static class PostgresJobClientExtensions
{
    /// <summary>Submits one job inside <paramref name="transaction"/>: it exists once, and only if, the transaction commits.</summary>
    /// <exception cref="JobValidationException">The submission is invalid; the transaction was not touched.</exception>
    /// <exception cref="QueueFullException">The queue is bounded and full.</exception>
    /// <exception cref="TenantFullException">The submitter's tenant already has as many waiting jobs as its bound allows.</exception>
    /// <exception cref="IdempotencyConflictException">The idempotency key belongs to a job with another kind or payload.</exception>
    /// <exception cref="InvalidOperationException">The client is not the one <c>AddConveyor</c> registers, the store is not PostgreSQL, or the transaction has ended.</exception>
    public static async Task<EnqueueResult> EnqueueAsync<TPayload>(this IJobClient client, TPayload payload, NpgsqlTransaction transaction, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var pipeline = Pipeline(client);
        ArgumentNullException.ThrowIfNull(transaction);
        var insert = pipeline.Prepare(payload, options);
        return (await InsertAsync(pipeline, insert, transaction, cancellationToken))[0];
    }

    /// <summary>Submits many jobs of one type inside <paramref name="transaction"/>, in one statement: all exist once the transaction commits, none otherwise.</summary>
    /// <inheritdoc cref="EnqueueAsync{TPayload}(IJobClient, TPayload, NpgsqlTransaction, EnqueueOptions?, CancellationToken)" path="/exception" />
    public static async Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync<TPayload>(this IJobClient client, IEnumerable<TPayload> payloads, NpgsqlTransaction transaction, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var pipeline = Pipeline(client);
        ArgumentNullException.ThrowIfNull(transaction);
        var insert = pipeline.PrepareMany(payloads, options);
        return await InsertAsync(pipeline, insert, transaction, cancellationToken);
    }

    private static IEnqueuePipeline Pipeline(IJobClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client as IEnqueuePipeline
            ?? throw new InvalidOperationException($"Transactional enqueue needs the IJobClient that AddConveyor registers; {client.GetType().Name} is another implementation.");
    }

    private static async Task<IReadOnlyList<EnqueueResult>> InsertAsync(IEnqueuePipeline pipeline, JobsInsertParams insert, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (insert.Jobs.Count == 0)
            return [];
        var store = await pipeline.GetStoreAsync(cancellationToken) as PostgresJobStore
            ?? throw new InvalidOperationException("Transactional enqueue needs the PostgreSQL store (o.UsePostgres).");
        var inserted = await store.JobsInsertAsync(insert, transaction, cancellationToken);
        return inserted.Select(r => new EnqueueResult(r.JobId, r.State, r.Existing)).ToList();
    }
}
