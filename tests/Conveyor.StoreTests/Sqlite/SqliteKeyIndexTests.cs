using Conveyor.Sqlite;
using Microsoft.Data.Sqlite;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>
/// What only SQLite can show about concurrency keys: the claim answers both per-key questions (any active job? any
/// waiting job first?) from the two small per-key indexes of migration 0003, never by scanning jobs; and a database
/// of schema version 2 with keyed jobs waiting and running is upgraded by 0003 and goes on in key order.
/// </summary>
public sealed class SqliteKeyIndexTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task The_claim_reads_the_waiting_and_active_key_indexes_and_scans_no_table()
    {
        var store = (SqliteJobStore)await _factory.CreateAsync(TimeProvider.System);
        var plan = Explain(store.Path, SqliteJobStore.ClaimSql);

        var text = string.Join("\n", plan);
        Assert.Contains("jobs_claim", text, StringComparison.Ordinal);
        Assert.Contains("jobs_key_waiting", text, StringComparison.Ordinal);
        Assert.Contains("jobs_key_active", text, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, line => line.Contains("SCAN jobs", StringComparison.Ordinal) || line.Contains("SCAN k", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_version_2_database_with_keyed_jobs_is_upgraded_by_migration_0003_and_keeps_key_order()
    {
        var path = _factory.NewLocation();
        using (var v2 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v2.Open();
            using var create = v2.CreateCommand();
            create.CommandText = "CREATE TABLE conveyor_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);" +
                string.Concat(SqliteJobStore.Migrations.Where(m => m.Version <= 2).Select(m => m.Sql + $";\nINSERT INTO conveyor_schema VALUES ({m.Version}, '{m.Name}', 0);\n")) +
                // Key k: job 1 running, jobs 2 and 3 waiting behind it; key j: job 4 waiting.
                "INSERT INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, concurrency_key, attempt, lease_token, lease_expires_at, created_at, updated_at) VALUES " +
                "('k', 'default', 2, 2, '{}', 0, 0, 3, 'k', 1, 1, 9000000000000000, 0, 0), ('k', 'default', 1, 2, '{}', 0, 1, 3, 'k', 0, 0, NULL, 0, 0), " +
                "('k', 'default', 1, 2, '{}', 0, 2, 3, 'k', 0, 0, NULL, 0, 0), ('k', 'default', 1, 2, '{}', 0, 3, 3, 'j', 0, 0, NULL, 0, 0);";
            create.ExecuteNonQuery();
        }

        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        var indexes = Query(path, "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'jobs_%' ORDER BY name");
        Assert.Contains("jobs_key_waiting", indexes);
        Assert.Contains("jobs_key_active", indexes);
        Assert.DoesNotContain("jobs_concurrency", indexes);
        var claim = new JobsClaimParams("default", 10, "w", TimeSpan.FromMinutes(1));
        Assert.Equal([4L], (await store.JobsClaimAsync(claim, CancellationToken.None)).Select(c => c.Id));
        await store.JobsCompleteAsync(new JobsCompleteParams([new JobCompletion { Lease = new JobLease(1, 1), Outcome = JobOutcome.Succeeded }]), CancellationToken.None);
        Assert.Equal([2L], (await store.JobsClaimAsync(claim, CancellationToken.None)).Select(c => c.Id));
    }

    private static List<string> Query(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = sql;
        var rows = new List<string>();
        using var r = query.ExecuteReader();
        while (r.Read())
            rows.Add(r.GetString(0));
        return rows;
    }

    private static List<string> Explain(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "@queue", "@limit", "@now", "@lease_until", "@worker" })
            explain.Parameters.AddWithValue(name, name == "@queue" ? "default" : 1);
        var plan = new List<string>();
        using var r = explain.ExecuteReader();
        while (r.Read())
            plan.Add(r.GetString(3));
        return plan;
    }
}
