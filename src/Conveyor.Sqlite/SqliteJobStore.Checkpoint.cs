using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <summary>Write transactions between two background checkpoints (a transaction adds some 5 to 20 WAL pages, so ~1000 to 5000 pages).</summary>
    private const int CommitsPerCheckpoint = 256;

    /// <summary>
    /// The writer's own automatic checkpoint, in WAL pages: only a backstop for when the background checkpoint
    /// falls behind. SQLite's default is 1000.
    /// </summary>
    private const int WriterCheckpointPages = 10_000;

    private int _commitsSinceCheckpoint;
    private int _checkpointing;
    private Task _checkpoint = Task.CompletedTask;

    /// <summary>
    /// Called by the writer after each commit, holding the write lock. Every <see cref="CommitsPerCheckpoint"/>
    /// commits it starts a PASSIVE checkpoint on a pooled connection of its own, unless one still runs.
    /// </summary>
    /// <remarks>
    /// A checkpoint copies WAL pages into the database file and syncs both files (an fsync takes ~2.5 ms on the
    /// benchmark machine). Run by the writer inside COMMIT, as SQLite's automatic checkpoint does every 1000
    /// pages, it held every write up for 5 to 25 ms at a time. A PASSIVE checkpoint takes no lock a writer needs,
    /// so the writer goes on appending while it runs; in sequential claim+complete of 16 jobs per call this
    /// raised throughput by 15 to 60 % in paired runs (bench/README.md). Checkpointing less often also copies
    /// less: a hot page rewritten in many transactions is copied once per checkpoint.
    /// </remarks>
    private void AfterCommit()
    {
        if (++_commitsSinceCheckpoint < CommitsPerCheckpoint || Interlocked.CompareExchange(ref _checkpointing, 1, 0) != 0)
            return;
        _commitsSinceCheckpoint = 0;
        _checkpoint = Task.Run(Checkpoint);
    }

    private void Checkpoint()
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            command.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // Nothing is lost: the next round tries again, and the writer's own checkpoint is the backstop.
        }
        finally
        {
            Volatile.Write(ref _checkpointing, 0);
        }
    }
}
