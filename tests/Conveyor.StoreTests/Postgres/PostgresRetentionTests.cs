using Conveyor.Postgres;
using Conveyor.StoreTests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// What only PostgreSQL can show about retention: the purge's plan, that it never waits for a locked row, and that a
/// schema made by version 1 gains retention by migration 0002 and keeps its jobs.
/// </summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresRetentionTests : PostgresStoreTestBase
{
    [Theory]
    [InlineData("auto")]
    [InlineData("force_generic_plan")]
    public async Task Purge_on_a_large_analyzed_table_reads_the_finished_index_and_the_history_index_never_a_whole_table(string planCacheMode)
    {
        // 100,000 jobs, most finished long ago in every terminal state, with three events each, and steps and a question for
        // a quarter of them; statistics from ANALYZE.
        await using var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        await ExecAsync(connection, $$"""
            INSERT INTO "{{Store.Schema}}".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, created_at, updated_at, finished_at)
            SELECT 'bulk', 'q' || (i % 5), CASE WHEN i % 10 = 0 THEN 1 ELSE 4 + i % 3 END, 2, '{}', now() - interval '10 days',
                   now() - interval '10 days', 3, now(), now(), CASE WHEN i % 10 <> 0 THEN now() - make_interval(secs => i) END
            FROM generate_series(1, 100000) AS i;
            INSERT INTO "{{Store.Schema}}".job_events (job_id, at, kind, attempt)
            SELECT id, now(), k, 1 FROM "{{Store.Schema}}".jobs, generate_series(0, 2) AS k;
            INSERT INTO "{{Store.Schema}}".job_steps (job_id, name, result, attempt, completed_at)
            SELECT id, 'step-' || k, '{}', 1, now() FROM "{{Store.Schema}}".jobs, generate_series(1, 2) AS k WHERE id % 4 = 0;
            INSERT INTO "{{Store.Schema}}".interactions (job_id, key, state, prompt, timeout, deadline, timeout_action, asked_at)
            SELECT id, 'ask', 2, '{}', interval '1 hour', now(), 0, now() FROM "{{Store.Schema}}".jobs WHERE id % 4 = 0;
            ANALYZE "{{Store.Schema}}".jobs;
            ANALYZE "{{Store.Schema}}".job_events;
            ANALYZE "{{Store.Schema}}".job_steps;
            ANALYZE "{{Store.Schema}}".interactions;
            SET plan_cache_mode = {{planCacheMode}};
            """);

        await using var explain = Store.CreateCommand(connection, "JobsPurge");
        explain.CommandText = "EXPLAIN " + explain.CommandText;
        explain.Parameters.Add(new NpgsqlParameter("succeeded_for", NpgsqlDbType.Interval) { Value = TimeSpan.FromDays(1) });
        explain.Parameters.Add(new NpgsqlParameter("failed_for", NpgsqlDbType.Interval) { Value = DBNull.Value });
        explain.Parameters.Add(new NpgsqlParameter("cancelled_for", NpgsqlDbType.Interval) { Value = TimeSpan.FromHours(1) });
        explain.Parameters.AddWithValue("limit", 1000);
        var plan = new List<string>();
        await using (var r = await explain.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
                plan.Add(r.GetString(0));
        }

        var text = string.Join("\n", plan);
        Assert.False(text.Contains("Seq Scan", StringComparison.Ordinal), text);
        Assert.Contains("jobs_finished", text, StringComparison.Ordinal);
        Assert.Contains("job_events_job", text, StringComparison.Ordinal);
        Assert.Contains("job_steps_pkey", text, StringComparison.Ordinal);
        Assert.Contains("interactions_job_key", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_skips_a_row_another_transaction_holds_instead_of_waiting_and_takes_it_later()
    {
        var ids = (await Store.JobsInsertAsync(new JobsInsertParams([.. Enumerable.Range(0, 3).Select(i => new NewJob
        {
            Kind = "k", Queue = "default", Payload = $"{i}", MaxAttempts = 3, Principal = JobPrincipal.System,
        })]), CancellationToken.None)).Select(r => r.JobId).ToList();
        foreach (var id in ids)
            await Store.JobCancelAsync(new JobCancelParams(id, "test"), CancellationToken.None);
        await using var other = new NpgsqlConnection(Factory.ConnectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await ExecAsync(other, $"SELECT id FROM \"{Store.Schema}\".jobs WHERE id = {ids[1]} FOR UPDATE", transaction);

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var whileHeld = await Store.JobsPurgeAsync(new JobsPurgeParams(null, null, TimeSpan.Zero, 100), patience.Token);
        await transaction.RollbackAsync();
        var afterwards = await Store.JobsPurgeAsync(new JobsPurgeParams(null, null, TimeSpan.Zero, 100), CancellationToken.None);

        Assert.Equal((2, 1), (whileHeld, afterwards));
        foreach (var id in ids)
            Assert.Null(await Store.JobGetAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task A_version_1_schema_is_upgraded_by_migration_0002_and_its_old_finished_jobs_can_be_purged()
    {
        var schema = Factory.NewLocation();
        var (version, name, sql) = PostgresJobStore.Migrations[0];
        Assert.Equal(1, version);
        await using (var connection = new NpgsqlConnection(Factory.ConnectionString))
        {
            await connection.OpenAsync();
            await ExecAsync(connection, $"CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".conveyor_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL);" +
                sql.Replace("{schema_name}", schema, StringComparison.Ordinal).Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal) +
                $"; INSERT INTO \"{schema}\".conveyor_schema VALUES (1, '{name}', now());" +
                $"INSERT INTO \"{schema}\".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, idempotency_key, created_at, updated_at, finished_at) " +
                "VALUES ('k', 'default', 4, 2, '{}', now(), now(), 1, 'once', now(), now(), now() - interval '2 days'), ('k', 'default', 1, 2, '{}', now(), now(), 1, NULL, now(), now(), NULL);" +
                $"INSERT INTO \"{schema}\".job_events (job_id, at, kind, attempt) SELECT id, now(), 0, 0 FROM \"{schema}\".jobs;");
        }
        var ids = new List<long>();
        await using (var connection = new NpgsqlConnection(Factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand($"SELECT id FROM \"{schema}\".jobs ORDER BY id", connection);
            await using var r = await read.ExecuteReaderAsync();
            while (await r.ReadAsync())
                ids.Add(r.GetInt64(0));
        }

        var store = Factory.Open(schema);
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(PostgresJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.True(PostgresJobStore.Migrations[^1].Version >= 2);
        Assert.Equal(1, await store.JobsPurgeAsync(new JobsPurgeParams(TimeSpan.FromDays(1), null, null, 10), CancellationToken.None));
        Assert.Null(await store.JobGetAsync(ids[0], CancellationToken.None));
        Assert.Empty(await store.JobEventsListAsync(new JobEventsListParams(ids[0]), CancellationToken.None));
        Assert.Equal(JobState.Pending, (await store.JobGetAsync(ids[1], CancellationToken.None))!.State);
        Assert.Single(await store.JobEventsListAsync(new JobEventsListParams(ids[1]), CancellationToken.None));
        Assert.True(await store.LeaderTryAcquireAsync(new LeaderAcquireParams("retention", "node-a", TimeSpan.FromMinutes(3)), CancellationToken.None));
    }
}
