using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <summary>The most write calls that share one transaction.</summary>
    private const int MaxWritesPerTransaction = 64;

    private readonly ConcurrentQueue<PendingWrite> _pendingWrites = new();

    /// <summary>Set by the write running now when it appends a history event (only the writer, under the write lock, touches it).</summary>
    private bool _eventsAppended;

    /// <summary>
    /// Runs <paramref name="work"/> atomically on the writer connection, passing the store's now in
    /// microseconds, and returns once it is committed. Rolls back its changes when it throws. After the commit,
    /// before it returns, it raises <see cref="Conveyor.Storage.StoreSignals.EventsAppended"/> when the work appended
    /// history events.
    /// </summary>
    /// <remarks>
    /// Group commit: calls that queue up while another call holds the writer are run by whichever caller takes
    /// the writer next, all in one transaction (BEGIN IMMEDIATE … COMMIT), each inside its own savepoint when there
    /// are several. A call that throws rolls back to its savepoint and leaves the others alone; each stays
    /// all-or-nothing, and none returns before the shared COMMIT. One commit per group instead of per call is what makes a claim and a
    /// batch of completions that arrive together cost one transaction: a commit writes every page the
    /// transaction touched to the WAL, and consecutive claims and completions touch the same pages.
    /// </remarks>
    private async Task<T> WriteAsync<T>(Func<long, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = new PendingWrite<T>(work);
        _pendingWrites.Enqueue(write);
        try
        {
            await _writeLock.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (!write.TryCancel())
        {
            // Another caller already took this write into its transaction; its outcome stands.
            return await CommittedAsync(write);
        }
        try
        {
            // A holder before us may have run this write already; otherwise run the queue up to it.
            while (!write.Task.IsCompleted)
                RunPendingWrites();
        }
        finally
        {
            _writeLock.Release();
        }
        return await CommittedAsync(write);
    }

    /// <summary>The write's result once its transaction committed, after raising the change feed's signal if it appended events.</summary>
    private async Task<T> CommittedAsync<T>(PendingWrite<T> write)
    {
        var result = await write.Task;
        if (write.AppendedEvents)
            Signals.PublishEventsAppended();
        return result;
    }

    /// <summary>Takes the queued writes (up to <see cref="MaxWritesPerTransaction"/>) and runs them in one transaction. Holds the write lock.</summary>
    private void RunPendingWrites()
    {
        var batch = new List<PendingWrite>(4);
        while (batch.Count < MaxWritesPerTransaction && _pendingWrites.TryDequeue(out var queued))
        {
            if (queued.TryTake())
                batch.Add(queued);
        }
        if (batch.Count == 0)
            return;

        var writer = _disposed ? null : _writer;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            writer = Writer();
            Exec("BEGIN IMMEDIATE");
            var now = Micros.From(_time.GetUtcNow());
            if (batch.Count == 1)
            {
                // Alone: the transaction is the write's own, no savepoint needed (and none to journal into).
                Run(batch[0], now);
            }
            else
            {
                foreach (var write in batch)
                    RunInSavepoint(write, now, writer);
            }
            Exec("COMMIT");
            AfterCommit();
        }
        catch (Exception e)
        {
            if (writer is not null && !writer.AutoCommit())
                Exec("ROLLBACK");
            // Nothing of the group was committed.
            foreach (var write in batch)
                write.Fail(e);
        }
        foreach (var write in batch)
            write.Publish();
    }

    private void RunInSavepoint(PendingWrite write, long now, Microsoft.Data.Sqlite.SqliteConnection writer)
    {
        Exec("SAVEPOINT conveyor_write");
        try
        {
            Run(write, now);
        }
        catch (Exception e)
        {
            write.Fail(e);
            if (writer.AutoCommit())
                throw; // SQLite rolled back the whole transaction (I/O error, full disk): the group fails.
            Exec("ROLLBACK TO conveyor_write");
        }
        Exec("RELEASE conveyor_write");
    }

    private void Run(PendingWrite write, long now)
    {
        _eventsAppended = false;
        write.Run(now);
        write.AppendedEvents = _eventsAppended;
    }

    /// <summary>A write call waiting for the writer: queued, then taken into a transaction (or given up by its caller).</summary>
    private abstract class PendingWrite
    {
        private const int Queued = 0, Taken = 1, Cancelled = 2;
        private int _state;

        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        public bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;

        /// <summary>True when the write appended history events (read once its transaction committed).</summary>
        public bool AppendedEvents { get; set; }

        public abstract void Run(long now);

        /// <summary>Records the failure; a write that already failed keeps its first error.</summary>
        public abstract void Fail(Exception error);

        /// <summary>Completes the caller's task, after the transaction ended.</summary>
        public abstract void Publish();
    }

    private sealed class PendingWrite<T>(Func<long, T> work) : PendingWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private ExceptionDispatchInfo? _error;

        public Task<T> Task => _done.Task;

        public override void Run(long now) => _result = work(now);

        public override void Fail(Exception error) => _error ??= ExceptionDispatchInfo.Capture(error);

        public override void Publish()
        {
            if (_error is not null)
                _done.TrySetException(_error.SourceException);
            else
                _done.TrySetResult(_result!);
        }
    }
}
