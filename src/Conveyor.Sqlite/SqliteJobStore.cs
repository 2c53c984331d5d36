using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Writes from this process queue up on one connection
/// (SQLite admits one writer at a time anyway, so this costs nothing and no write ever meets
/// "database is locked" from a sibling), and those that queue up together share one transaction (group
/// commit, see <c>WriteAsync</c>); writes from other processes are waited for up to
/// <see cref="SqliteStoreOptions.BusyTimeout"/>. Reads use pooled connections and never wait for writes.
/// </summary>
public sealed partial class SqliteJobStore : IJobStore
{
    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private SqliteConnection? _writer;
    private bool _disposed;

    /// <summary>Creates a store over the file named in <paramref name="options"/>, keeping time with <paramref name="time"/> (default: the system clock).</summary>
    public SqliteJobStore(SqliteStoreOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        _options = options;
        _time = time ?? TimeProvider.System;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
    }

    /// <inheritdoc />
    public StoreSignals Signals { get; } = new();

    /// <summary>The database file.</summary>
    public string Path => _options.Path;

    private SqliteConnection Writer()
    {
        if (_writer is not null)
            return _writer;
        var writer = new SqliteConnection(_connectionString);
        writer.Open();
        using (var pragma = writer.CreateCommand())
        {
            pragma.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {SynchronousMode()}; " +
                $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}; PRAGMA temp_store = MEMORY; " +
                $"PRAGMA wal_autocheckpoint = {WriterCheckpointPages};";
            pragma.ExecuteNonQuery();
        }
        return _writer = writer;
    }

    private string SynchronousMode() => _options.Synchronous.ToUpperInvariant() switch
    {
        "OFF" or "NORMAL" or "FULL" or "EXTRA" => _options.Synchronous.ToUpperInvariant(),
        _ => throw new ArgumentException($"SqliteStoreOptions.Synchronous must be OFF, NORMAL, FULL or EXTRA (is '{_options.Synchronous}')."),
    };

    /// <summary>The writer's cached command for a SQL text, its parameters cleared; prepared once, reused after.</summary>
    private SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Writer().CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Parameters.Clear();
        return command;
    }

    private SqliteCommand Named(string name) => Command(SqlText.Get(name));

    private void Exec(string sql) => Command(sql).ExecuteNonQuery();

    private SqliteConnection OpenReader()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private long Now() => Micros.From(_time.GetUtcNow());

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            await _checkpoint;
            foreach (var command in _commands.Values)
                command.Dispose();
            _commands.Clear();
            if (_writer is not null)
            {
                // Closing the last connection checkpoints the WAL into the main file.
                await _writer.DisposeAsync();
                _writer = null;
            }
            using var probe = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(probe);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}

internal static class SqliteConnectionExtensions
{
    /// <summary>True when no transaction is open on the connection (sqlite3_get_autocommit).</summary>
    public static bool AutoCommit(this SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0;
}
