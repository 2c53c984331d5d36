using System.Data;
using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>
    /// Opens a connection of this store's pool and begins a READ COMMITTED transaction for the handler of
    /// <paramref name="attempt"/>; its commit will also record the attempt's success (<see cref="CommitAttemptAsync"/>).
    /// READ COMMITTED whatever the server's default: the fenced update at the end must see the job row as it is then,
    /// which heartbeats keep changing; a REPEATABLE READ transaction would fail on it with a serialisation error.
    /// The handler's own statements are planned as PostgreSQL plans by default: the transaction starts with
    /// <c>SET LOCAL enable_seqscan = on</c>, undoing the store's session setting (see <see cref="CreateDataSource"/>)
    /// for the transaction only, unless the connection string's <c>Options</c> name <c>enable_seqscan</c> themselves.
    /// </summary>
    internal async ValueTask<PostgresJobTransaction> BeginAttemptTransactionAsync(StoreAttempt attempt, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            if (_storeSetsSeqScan)
                await SetSeqScanAsync(transaction, "on", cancellationToken); // one round trip, the BEGIN travels with it
            return new PostgresJobTransaction(this, attempt, connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// In the handler's transaction: the attempt's fenced success (the same statement as <see cref="JobsCompleteAsync"/>,
    /// with its event and notifications), then the commit. When the fence matches nothing the transaction is rolled
    /// back, so none of the handler's writes commit, and the attempt's lease-lost exception is thrown.
    /// </summary>
    internal async Task CommitAttemptAsync(NpgsqlTransaction transaction, StoreAttempt attempt, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction has already ended.");
        // The completion statement is planned (and may keep its generic plan on this pooled connection) as the
        // store's own statements are: with sequential scans priced out. The setting travels with it, one round trip.
        var (applied, ready) = await CompleteAsync(connection, transaction, [attempt.Success()], cancellationToken,
            _storeSetsSeqScan ? SeqScanSetting("off") : null);
        if (applied.Count == 0)
        {
            try
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The connection broke: the server rolls the transaction back by itself.
            }
            throw attempt.LeaseLost();
        }
        // Not cancellable: once the fenced update holds the row, a cancelled commit would leave the outcome unknown.
        await transaction.CommitAsync(CancellationToken.None);
        attempt.MarkCompleted();
        PublishReady(ready);
        Signals.PublishEventsAppended();
    }

    private static string SeqScanSetting(string value) => $"SET LOCAL enable_seqscan = {value}";

    private static async Task SetSeqScanAsync(NpgsqlTransaction transaction, string value, CancellationToken cancellationToken)
    {
        await using var set = new NpgsqlCommand(SeqScanSetting(value), transaction.Connection, transaction);
        await set.ExecuteNonQueryAsync(cancellationToken);
    }
}
