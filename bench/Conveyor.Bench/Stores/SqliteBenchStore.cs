using System.Diagnostics;
using System.Globalization;
using System.Text;
using Conveyor.Sqlite;
using Microsoft.Data.Sqlite;

namespace Conveyor.Bench.Stores;

/// <summary>The embedded SQLite store, one temporary file per database.</summary>
internal sealed class SqliteBenchStore : IBenchStore
{
    public string Name => "sqlite";

    public IReadOnlyList<string> Workloads => Workload.Common;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public IBenchDatabase CreateDatabase() =>
        new SqliteBenchDatabase(Path.Combine(Path.GetTempPath(), $"conveyor-bench-{Guid.NewGuid():N}.db"));
}

internal sealed class SqliteBenchDatabase(string path) : IBenchDatabase
{

    private SqliteConnection? _counter;

    public string Path { get; } = path;

    public void Configure(ConveyorOptions options) => options.UseSqlite(Path);

    public async Task<long> CountSucceededAsync(CancellationToken cancellationToken)
    {
        if (_counter is null)
        {
            _counter = new SqliteConnection(ConnectionString());
            await _counter.OpenAsync(cancellationToken);
        }
        await using var count = _counter.CreateCommand();
        count.CommandText = "SELECT count(*) FROM jobs WHERE state = 4";
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<TimeSpan> RawEnqueueAsync(int jobs, CancellationToken cancellationToken)
    {
        await CreateSchemaAsync(cancellationToken);
        using var db = OpenRaw();
        using var begin = Prepared(db, "BEGIN IMMEDIATE");
        using var commit = Prepared(db, "COMMIT");
        using var insert = Prepared(db,
            "INSERT INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, concurrency_key, concurrency_limit, " +
            "tenant, idempotency_key, user_id, roles, tags, created_at, updated_at) " +
            "VALUES (@kind, @queue, 1, @priority, @payload, @now, @now, @max_attempts, NULL, 1, '', NULL, NULL, '[]', '[]', @now, @now) RETURNING id");
        var payload = insert.Parameters.Add("@payload", SqliteType.Text);
        var now = insert.Parameters.Add("@now", SqliteType.Integer);
        insert.Parameters.AddWithValue("@kind", Workload.NoopKind);
        insert.Parameters.AddWithValue("@queue", ConveyorOptions.DefaultQueueName);
        insert.Parameters.AddWithValue("@priority", (int)JobPriority.Normal);
        insert.Parameters.AddWithValue("@max_attempts", 10);
        using var enqueued = Prepared(db, "INSERT INTO job_events (job_id, at, kind, attempt, actor, message) VALUES (@job_id, @now, 0, 0, NULL, NULL)");
        var jobId = enqueued.Parameters.Add("@job_id", SqliteType.Integer);
        var eventNow = enqueued.Parameters.Add("@now", SqliteType.Integer);

        var checkpoints = new RawCheckpointer(ConnectionString());
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < jobs; i++)
        {
            begin.ExecuteNonQuery();
            payload.Value = Workload.NoopPayloadJson(i);
            now.Value = eventNow.Value = NowMicros();
            jobId.Value = (long)insert.ExecuteScalar()!;
            enqueued.ExecuteNonQuery();
            commit.ExecuteNonQuery();
            checkpoints.AfterCommit();
        }
        var elapsed = clock.Elapsed;
        await checkpoints.DrainAsync();
        return elapsed;
    }

    public async Task<TimeSpan> RawEnqueueBatchAsync(int jobs, int batchSize, CancellationToken cancellationToken)
    {
        await CreateSchemaAsync(cancellationToken);
        using var db = OpenRaw();
        using var begin = Prepared(db, "BEGIN IMMEDIATE");
        using var commit = Prepared(db, "COMMIT");
        using var lastId = Prepared(db, "SELECT last_insert_rowid()");
        using var events = Prepared(db,
            "INSERT INTO job_events (job_id, at, kind, attempt, actor, message) SELECT id, @now, 0, 0, NULL, NULL FROM jobs WHERE id BETWEEN @first AND @last");
        var eventsNow = events.Parameters.Add("@now", SqliteType.Integer);
        var first = events.Parameters.Add("@first", SqliteType.Integer);
        var last = events.Parameters.Add("@last", SqliteType.Integer);
        var inserts = new Dictionary<int, (SqliteCommand Command, SqliteParameter Now, SqliteParameter[] Payloads)>();

        var checkpoints = new RawCheckpointer(ConnectionString());
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < jobs; start += batchSize)
        {
            var count = Math.Min(batchSize, jobs - start);
            if (!inserts.TryGetValue(count, out var insert))
                inserts[count] = insert = MultiRowInsert(db, count);
            begin.ExecuteNonQuery();
            var now = NowMicros();
            insert.Now.Value = eventsNow.Value = now;
            for (var i = 0; i < count; i++)
                insert.Payloads[i].Value = Workload.NoopPayloadJson(start + i);
            insert.Command.ExecuteNonQuery();
            var id = (long)lastId.ExecuteScalar()!;
            first.Value = id - count + 1;
            last.Value = id;
            events.ExecuteNonQuery();
            commit.ExecuteNonQuery();
            checkpoints.AfterCommit();
        }
        var elapsed = clock.Elapsed;
        await checkpoints.DrainAsync();
        foreach (var insert in inserts.Values)
            insert.Command.Dispose();
        return elapsed;
    }

    private static (SqliteCommand, SqliteParameter, SqliteParameter[]) MultiRowInsert(SqliteConnection db, int rows)
    {
        var sql = new StringBuilder(
            "INSERT INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, concurrency_key, concurrency_limit, " +
            "tenant, idempotency_key, user_id, roles, tags, created_at, updated_at) VALUES ");
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "" : ",")
               .Append(CultureInfo.InvariantCulture, $"(@kind, @queue, 1, @priority, @p{i}, @now, @now, @max_attempts, NULL, 1, '', NULL, NULL, '[]', '[]', @now, @now)");
        }
        var command = Prepared(db, sql.ToString());
        command.Parameters.AddWithValue("@kind", Workload.NoopKind);
        command.Parameters.AddWithValue("@queue", ConveyorOptions.DefaultQueueName);
        command.Parameters.AddWithValue("@priority", (int)JobPriority.Normal);
        command.Parameters.AddWithValue("@max_attempts", 10);
        var now = command.Parameters.Add("@now", SqliteType.Integer);
        var payloads = Enumerable.Range(0, rows).Select(i => command.Parameters.Add($"@p{i}", SqliteType.Text)).ToArray();
        return (command, now, payloads);
    }

    /// <summary>
    /// Drives the store's own claim and complete (<see cref="SqliteJobStore.JobsClaimAsync"/>,
    /// <see cref="SqliteJobStore.JobsCompleteAsync"/>) in a tight loop: the same SQL, the same single writer
    /// connection in WAL mode with synchronous=NORMAL, and none of the engine around it.
    /// </summary>
    public async Task<TimeSpan> RawDrainAsync(int jobs, int batchSize, CancellationToken cancellationToken)
    {
        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = Path });
        await store.MigrateAsync(cancellationToken);
        await RawStoreLoop.LoadNoopJobsAsync(store, jobs, cancellationToken);
        var clock = Stopwatch.StartNew();
        var done = await RawStoreLoop.ClaimAndCompleteAsync(store, batchSize, cancellationToken);
        var elapsed = clock.Elapsed;
        if (done != jobs)
            throw new InvalidOperationException($"The raw drain completed {done} jobs, expected {jobs}.");
        return elapsed;
    }

    private async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = Path });
        await store.MigrateAsync(cancellationToken);
    }

    /// <summary>
    /// One connection set up as the store sets up its writer: WAL, synchronous=NORMAL, automatic checkpoints only
    /// every 10,000 pages as a backstop, the real ones in the background (<see cref="RawCheckpointer"/>).
    /// </summary>
    private SqliteConnection OpenRaw()
    {
        var db = new SqliteConnection(ConnectionString());
        db.Open();
        using var pragma = db.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000;";
        pragma.ExecuteNonQuery();
        return db;
    }

    private static SqliteCommand Prepared(SqliteConnection db, string sql)
    {
        var command = db.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private string ConnectionString() => new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString();

    private static long NowMicros() => (TimeProvider.System.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public async ValueTask DisposeAsync()
    {
        if (_counter is not null)
            await _counter.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            try
            {
                File.Delete(Path + suffix);
            }
            catch (IOException)
            {
                // Left for the OS's temp clean-up; never fail a run over it.
            }
        }
    }
}

/// <summary>
/// The raw loops' copy of the store's checkpoint policy (SqliteJobStore.Checkpoint.cs): a PASSIVE checkpoint on
/// a connection of its own every 256 commits, one at a time, so that the raw limit and the engine pay for
/// checkpoints the same way.
/// </summary>
internal sealed class RawCheckpointer(string connectionString)
{
    private int _commits;
    private Task _running = Task.CompletedTask;

    public void AfterCommit()
    {
        if (++_commits < 256 || !_running.IsCompleted)
            return;
        _commits = 0;
        _running = Task.Run(() =>
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            command.ExecuteNonQuery();
        });
    }

    public Task DrainAsync() => _running;
}
