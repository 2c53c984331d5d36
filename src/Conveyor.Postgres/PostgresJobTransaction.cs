using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

/// <summary>
/// A handler's transaction on the jobs' own database that also ends the job: what the handler writes through
/// <see cref="Connection"/> and <see cref="Transaction"/> commits together with the job's success when it calls
/// <see cref="CommitAsync"/>, or not at all. This is how a handler's effects happen exactly once. Begin it with
/// <see cref="PostgresJobContextExtensions.BeginTransactionAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="CommitAsync"/> writes the job's success (its result and artefacts as the handler set them, and the
/// <c>succeeded</c> event) in this transaction, fenced by the attempt's lease, and commits. If the attempt lost its
/// lease meanwhile (it ran too long without a heartbeat and was recovered, so another attempt may run), nothing
/// commits: the transaction is rolled back and <see cref="CommitAsync"/> throws <see cref="OperationCanceledException"/>.
/// Disposing without committing rolls back; the handler then ends as it would otherwise (an exception means a retry).
/// </para>
/// <para>
/// After the commit the attempt is over: the engine records nothing more for it, however the handler ends, and the
/// context refuses progress, log lines, results and artefacts. The transaction is READ COMMITTED and holds one pooled
/// connection until disposed; keep it short, like any transaction. The job's row is locked only inside
/// <see cref="CommitAsync"/>, so heartbeats go on while the handler works.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// public async Task HandleAsync(JobContext&lt;Invoice&gt; job, CancellationToken cancellationToken)
/// {
///     await using var tx = await job.BeginTransactionAsync(cancellationToken);
///     await using (var insert = new NpgsqlCommand("INSERT INTO ledger (invoice, amount) VALUES ($1, $2)", tx.Connection, tx.Transaction))
///     {
///         insert.Parameters.AddWithValue(job.Payload.Id);
///         insert.Parameters.AddWithValue(job.Payload.Amount);
///         await insert.ExecuteNonQueryAsync(cancellationToken);
///     }
///     await tx.CommitAsync(cancellationToken); // the ledger row and the job's success, together
/// }
/// </code>
/// </example>
public sealed class PostgresJobTransaction : IAsyncDisposable
{
    private readonly PostgresJobStore _store;
    private readonly StoreAttempt _attempt;
    private bool _ended;
    private bool _disposed;

    internal PostgresJobTransaction(PostgresJobStore store, StoreAttempt attempt, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _store = store;
        _attempt = attempt;
        Connection = connection;
        Transaction = transaction;
    }

    /// <summary>The open connection, from the store's pool, on the database that holds the jobs.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>The transaction to write the handler's effects in; pass it to every command (and to Dapper or EF Core).</summary>
    public NpgsqlTransaction Transaction { get; }

    /// <summary>
    /// Records the job's success in this transaction, fenced by the attempt's lease, and commits it with everything the
    /// handler wrote: both or neither. Call it once, as the handler's last step.
    /// </summary>
    /// <exception cref="OperationCanceledException">
    /// The attempt lost its lease (the job was recovered by the reaper, or another attempt holds it): the transaction
    /// was rolled back, none of the handler's writes committed, and the handler's token has fired.
    /// </exception>
    /// <exception cref="InvalidOperationException">The transaction already committed or rolled back, or the attempt already completed.</exception>
    /// <exception cref="NpgsqlException">
    /// The database failed. If it failed during the commit itself the outcome is unknown: either both committed, or
    /// neither did and the job will run again (the handler's exception makes it a retry, which the fence refuses if
    /// the success did commit).
    /// </exception>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ended)
            throw new InvalidOperationException("This job transaction has already committed or rolled back.");
        if (_attempt.IsCompleted)
            throw new InvalidOperationException($"Job {_attempt.Lease.JobId}'s attempt already completed; a second transaction cannot complete it again.");
        _ended = true;
        await _store.CommitAttemptAsync(Transaction, _attempt, cancellationToken);
    }

    /// <summary>Rolls back unless <see cref="CommitAsync"/> committed, and returns the connection to the pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
