using Conveyor.Sqlite;
using Microsoft.Data.Sqlite;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>
/// What only SQLite can show about retention: each purge statement reads an index, never a whole table; and a
/// database made by version 1 of the schema gains retention by migration 0002 and keeps its jobs.
/// </summary>
public sealed class SqliteRetentionTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("PurgeCandidates", "jobs_finished")]
    [InlineData("PurgeEvents", "job_events_job")]
    [InlineData("PurgeJobs", "PRIMARY KEY")]
    public async Task Each_purge_statement_searches_an_index(string block, string index)
    {
        var store = (SqliteJobStore)await _factory.CreateAsync(TimeProvider.System);
        using var connection = new SqliteConnection($"Data Source={store.Path};Pooling=False");
        connection.Open();
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + SqlText.Get(block);
        foreach (var name in new[] { "@now", "@succeeded_for", "@failed_for", "@cancelled_for", "@limit" })
            explain.Parameters.AddWithValue(name, 1);
        explain.Parameters.AddWithValue("@ids", "[1, 2]");
        var plan = new List<string>();
        using (var r = explain.ExecuteReader())
        {
            while (r.Read())
                plan.Add(r.GetString(3));
        }

        var text = string.Join("\n", plan);
        Assert.Contains(index, text, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN jobs", StringComparison.Ordinal) || line.StartsWith("SCAN job_events", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_version_1_database_is_upgraded_by_migration_0002_and_its_old_finished_jobs_can_be_purged()
    {
        var path = _factory.NewLocation();
        var (version, name, sql) = SqliteJobStore.Migrations[0];
        Assert.Equal(1, version);
        using (var v1 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v1.Open();
            using var create = v1.CreateCommand();
            create.CommandText = "CREATE TABLE conveyor_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);" + sql +
                $"; INSERT INTO conveyor_schema VALUES (1, '{name}', 0);" +
                "INSERT INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, idempotency_key, created_at, updated_at, finished_at) " +
                "VALUES ('k', 'default', 4, 2, '{}', 0, 0, 1, 'once', 0, 0, 0), ('k', 'default', 1, 2, '{}', 0, 0, 1, NULL, 0, 0, NULL);" +
                "INSERT INTO job_events (job_id, at, kind, attempt) VALUES (1, 0, 0, 0), (1, 0, 4, 1), (2, 0, 0, 0);";
            create.ExecuteNonQuery();
        }

        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.True(SqliteJobStore.Migrations[^1].Version >= 2);
        Assert.Equal(1, await store.JobsPurgeAsync(new JobsPurgeParams(TimeSpan.FromDays(1), null, null, 10), CancellationToken.None));
        Assert.Null(await store.JobGetAsync(1, CancellationToken.None));
        Assert.Empty(await store.JobEventsListAsync(new JobEventsListParams(1), CancellationToken.None));
        Assert.Equal(JobState.Pending, (await store.JobGetAsync(2, CancellationToken.None))!.State);
        Assert.Single(await store.JobEventsListAsync(new JobEventsListParams(2), CancellationToken.None));
        Assert.True(await store.LeaderTryAcquireAsync(new LeaderAcquireParams("retention", "node-a", TimeSpan.FromMinutes(3)), CancellationToken.None));
    }
}
