using System.Diagnostics;
using Conveyor.Postgres;
using Npgsql;

namespace Conveyor.Bench.Stores;

/// <summary>
/// PostgreSQL: one database (the cluster the harness started, or the one <c>--pg</c> names), one fresh schema per
/// bench database, dropped afterwards.
/// </summary>
internal sealed class PostgresBenchStore(string connectionString, PostgresCluster? cluster) : IBenchStore
{
    public string Name => "postgres";

    public IReadOnlyList<string> Workloads => Workload.Names;

    public string ConnectionString { get; } = connectionString;

    public IBenchDatabase CreateDatabase() => Create();

    public PostgresBenchDatabase Create() => new(ConnectionString, $"bench_{Guid.NewGuid():N}"[..18], owned: true);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (cluster is not null)
            await cluster.DisposeAsync();
    }
}

/// <summary>One schema. <c>owned</c>: dropped on dispose (a worker process attaches to its parent's schema without owning it).</summary>
internal sealed class PostgresBenchDatabase(string connectionString, string schema, bool owned) : IBenchDatabase
{

    private NpgsqlDataSource? _dataSource;

    public string ConnectionString { get; } = connectionString;
    public string Schema { get; } = schema;

    private string Table(string name) => $"\"{Schema}\".{name}";

    /// <summary>The harness's own connections to the schema (never the engine's pool).</summary>
    public NpgsqlDataSource DataSource => _dataSource ??= NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = "conveyor-bench" }.ConnectionString);

    public void Configure(ConveyorOptions options) => options.UsePostgres(ConnectionString, p => p.Schema = Schema);

    /// <summary>A store on this schema outside any engine (no listener unless asked for).</summary>
    public PostgresJobStore OpenStore(bool listen = false) =>
        new(new PostgresStoreOptions { ConnectionString = ConnectionString, Schema = Schema, Listen = listen });

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var store = OpenStore();
        await store.MigrateAsync(cancellationToken);
    }

    public async Task<long> CountSucceededAsync(CancellationToken cancellationToken)
    {
        await using var count = DataSource.CreateCommand($"SELECT count(*) FROM {Table("jobs")} WHERE state = 4");
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Inserts <paramref name="jobs"/> ready no-op jobs and their enqueued events in one statement, straight into the
    /// schema (the fast way to build a large backlog; the rows are those the store's own insert writes), then vacuums
    /// and analyzes the table so that the claim meets a table in its steady state.
    /// </summary>
    public async Task LoadAsync(int jobs, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            $"WITH j AS (INSERT INTO {Table("jobs")} (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, created_at, updated_at) " +
            $"SELECT '{Workload.NoopKind}', '{ConveyorOptions.DefaultQueueName}', 1, {(int)JobPriority.Normal}, '{{\"n\":' || g || '}}', now(), now(), 10, now(), now() " +
            $"FROM generate_series(0, {jobs - 1}) AS g ORDER BY g RETURNING id) " +
            $"INSERT INTO {Table("job_events")} (job_id, at, kind, attempt) SELECT id, now(), 0, 0 FROM j ORDER BY id",
            cancellationToken);
        await ExecuteAsync($"VACUUM (ANALYZE) {Table("jobs")}", cancellationToken);
    }

    /// <summary>Empties the schema's jobs and history (between rounds of a workload whose worker processes stay up).</summary>
    public Task TruncateAsync(CancellationToken cancellationToken) =>
        ExecuteAsync($"TRUNCATE {Table("jobs")}, {Table("job_events")}", cancellationToken);

    /// <summary>
    /// Per job one statement in its own transaction: the job row and its enqueued event (a data-modifying CTE),
    /// prepared. The store's insert also sends a NOTIFY and reads arrays; this is the bare minimum.
    /// </summary>
    public async Task<TimeSpan> RawEnqueueAsync(int jobs, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var insert = new NpgsqlCommand(
            $"WITH j AS (INSERT INTO {Table("jobs")} (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, created_at, updated_at) " +
            "VALUES ($1, $2, 1, $3, $4, now(), now(), 10, now(), now()) RETURNING id) " +
            $"INSERT INTO {Table("job_events")} (job_id, at, kind, attempt) SELECT id, now(), 0, 0 FROM j", connection);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Workload.NoopKind });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ConveyorOptions.DefaultQueueName });
        insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)JobPriority.Normal });
        var payload = new NpgsqlParameter<string> { TypedValue = "" };
        insert.Parameters.Add(payload);
        await insert.PrepareAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < jobs; i++)
        {
            payload.TypedValue = Workload.NoopPayloadJson(i);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        return clock.Elapsed;
    }

    /// <summary>Per batch one prepared statement: <paramref name="batchSize"/> rows from an array of payloads, and their events.</summary>
    public async Task<TimeSpan> RawEnqueueBatchAsync(int jobs, int batchSize, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var insert = new NpgsqlCommand(
            $"WITH j AS (INSERT INTO {Table("jobs")} (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, created_at, updated_at) " +
            "SELECT $1, $2, 1, $3, p, now(), now(), 10, now(), now() FROM unnest($4::text[]) WITH ORDINALITY AS x(p, o) ORDER BY o RETURNING id) " +
            $"INSERT INTO {Table("job_events")} (job_id, at, kind, attempt) SELECT id, now(), 0, 0 FROM j ORDER BY id", connection);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Workload.NoopKind });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ConveyorOptions.DefaultQueueName });
        insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)JobPriority.Normal });
        var payloads = new NpgsqlParameter<string[]> { TypedValue = [] };
        insert.Parameters.Add(payloads);
        await insert.PrepareAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < jobs; start += batchSize)
        {
            payloads.TypedValue = Enumerable.Range(start, Math.Min(batchSize, jobs - start)).Select(Workload.NoopPayloadJson).ToArray();
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        return clock.Elapsed;
    }

    public Task<TimeSpan> RawDrainAsync(int jobs, int batchSize, CancellationToken cancellationToken) =>
        RawDrainAsync(jobs, batchSize, clients: 1, cancellationToken);

    /// <summary>
    /// The store's own claim and complete (<see cref="PostgresJobStore.JobsClaimAsync"/> of
    /// <paramref name="batchSize"/>, then <see cref="PostgresJobStore.JobsCompleteAsync"/> of that batch as
    /// succeeded) in a tight loop from each of <paramref name="clients"/> callers at once, each on its own pooled
    /// connection, until the queue is empty: the same SQL, none of the engine. The jobs are loaded first (not timed).
    /// </summary>
    public async Task<TimeSpan> RawDrainAsync(int jobs, int batchSize, int clients, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken);
        await using var store = OpenStore();
        await RawStoreLoop.LoadNoopJobsAsync(store, jobs, cancellationToken);
        // Open the pool's connections before the clock starts.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => store.JobGetAsync(0, cancellationToken)));
        var clock = Stopwatch.StartNew();
        var done = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ =>
            Task.Run(() => RawStoreLoop.ClaimAndCompleteAsync(store, batchSize, cancellationToken), cancellationToken)));
        var elapsed = clock.Elapsed;
        if (done.Sum() != jobs)
            throw new InvalidOperationException($"The raw drain completed {done.Sum()} jobs, expected {jobs}.");
        return elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        if (owned)
        {
            try
            {
                await ExecuteAsync($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", CancellationToken.None);
            }
            catch (NpgsqlException e)
            {
                Console.Error.WriteLine($"warning: could not drop the bench schema {Schema}: {e.Message}");
            }
        }
        if (_dataSource is not null)
            await _dataSource.DisposeAsync();
    }
}
