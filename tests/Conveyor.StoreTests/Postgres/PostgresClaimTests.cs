using Conveyor.StoreTests.Infrastructure;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// What only PostgreSQL can show about the claim: its plan, how it serialises a concurrency key, and that a limited
/// claim round (whose transaction a BEGIN statement opens) ends its transaction when it fails, so that it can retry.
/// </summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresClaimTests : PostgresStoreTestBase
{
    [Theory]
    [InlineData("auto")]
    [InlineData("force_generic_plan")]
    public async Task Claim_on_a_large_analyzed_table_scans_the_partial_claim_index_never_the_whole_table(string planCacheMode)
    {
        // 100,000 jobs: most finished, some waiting in several queues, a few keyed. Statistics come from ANALYZE,
        // as after any bulk load (a freshly loaded table without statistics may be planned badly).
        await using var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        await ExecAsync(connection, $$"""
            INSERT INTO "{{Store.Schema}}".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, concurrency_key, created_at, updated_at)
            SELECT 'bulk', 'q' || (i % 5), CASE WHEN i % 10 = 0 THEN 1 ELSE 4 END, i % 4, '{}', now() - interval '1 hour',
                   now() - interval '1 hour', 3, CASE WHEN i % 100 = 0 THEN 'key-' || (i % 7) END, now(), now()
            FROM generate_series(1, 100000) AS i;
            ANALYZE "{{Store.Schema}}".jobs;
            SET plan_cache_mode = {{planCacheMode}};
            """);

        var text = await ExplainClaimAsync(connection, "q1");

        Assert.False(text.Contains("Seq Scan on jobs", StringComparison.Ordinal), text);
        Assert.Contains("jobs_claim", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("force_generic_plan")]
    public async Task Claim_on_a_table_without_statistics_reads_the_claim_index_once_and_updates_by_primary_key(string planCacheMode)
    {
        // A fresh table that bulk inserts filled before autovacuum analyzed it: the planner knows nothing of its
        // rows. The update must not look the locked ids up in jobs_claim (a scan of the whole index per claim).
        await using var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        await ExecAsync(connection, $$"""
            INSERT INTO "{{Store.Schema}}".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, created_at, updated_at)
            SELECT 'bulk', 'default', 1, 2, '{}', now() - interval '1 hour', now() - interval '1 hour', 3, now(), now()
            FROM generate_series(1, 20000) AS i;
            SET plan_cache_mode = {{planCacheMode}};
            """);

        var text = await ExplainClaimAsync(connection, "default");

        Assert.Equal(1, text.Split("jobs_claim").Length - 1);
        Assert.Contains("jobs_pkey", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_limited_claim_that_fails_retryably_is_rolled_back_whole_and_retried()
    {
        // A serialization failure inside the limited claim's function rolls back everything it did (its locks, the
        // claimed job, the start row) and the store runs the call again. A trigger fails the first start row ever
        // written (a sequence, which no rollback resets, counts the attempts).
        await Store.JobsInsertAsync(new JobsInsertParams([new NewJob
        {
            Kind = "k", Queue = "q", Payload = "{}", MaxAttempts = 1, Principal = JobPrincipal.System, LimitName = "lim", LimitKey = "lim",
        }]), CancellationToken.None);
        await using var admin = new NpgsqlConnection(Factory.ConnectionString);
        await admin.OpenAsync();
        await ExecAsync(admin, $$"""
            CREATE SEQUENCE "{{Store.Schema}}".start_attempts;
            CREATE FUNCTION "{{Store.Schema}}".fail_first_start() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF nextval('"{{Store.Schema}}".start_attempts') = 1 THEN
                    RAISE EXCEPTION 'first start fails' USING ERRCODE = '40001';
                END IF;
                RETURN NEW;
            END
            $fn$;
            CREATE TRIGGER fail_first_start BEFORE INSERT ON "{{Store.Schema}}".limit_starts
                FOR EACH ROW EXECUTE FUNCTION "{{Store.Schema}}".fail_first_start();
            """);

        var claimed = await Store.JobsClaimAsync(new JobsClaimParams("q", 4, "w", TimeSpan.FromSeconds(30))
        {
            Limits = [new LimitDefinition("lim", 1, 5, TimeSpan.FromMinutes(1))],
        }, CancellationToken.None);

        Assert.Single(claimed);
        // Committed once: another connection sees the job running and one start row (the failed attempt left none).
        await using var counts = new NpgsqlCommand(
            $"""SELECT (SELECT count(*) FROM "{Store.Schema}".jobs WHERE state = 2) * 10 + (SELECT count(*) FROM "{Store.Schema}".limit_starts)""", admin);
        Assert.Equal(11L, await counts.ExecuteScalarAsync());
        await using var attempts = new NpgsqlCommand($"""SELECT last_value FROM "{Store.Schema}".start_attempts""", admin);
        Assert.Equal(2L, await attempts.ExecuteScalarAsync());
    }

    private async Task<string> ExplainClaimAsync(NpgsqlConnection connection, string queue)
    {
        await using var explain = Store.CreateCommand(connection, "JobsClaim");
        explain.CommandText = "EXPLAIN " + explain.CommandText;
        explain.Parameters.AddWithValue("queue", queue);
        explain.Parameters.AddWithValue("limit", 100);
        explain.Parameters.AddWithValue("lease", TimeSpan.FromSeconds(30));
        explain.Parameters.AddWithValue("worker", "w");
        var plan = new List<string>();
        await using (var r = await explain.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
                plan.Add(r.GetString(0));
        }
        return string.Join("\n", plan);
    }

    [Fact]
    public async Task A_key_whose_lock_another_claim_holds_is_skipped_until_that_claim_commits()
    {
        var ids = await InsertAsync(("key-a", "{}"), (null, "{}"));
        await using var other = new NpgsqlConnection(Factory.ConnectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await ExecAsync(other, $"SELECT pg_advisory_xact_lock(hashtextextended('conveyor:{Store.Schema}:key:key-a', 0))", transaction);

        var whileHeld = await ClaimAsync();
        await transaction.RollbackAsync();
        var afterwards = await ClaimAsync();

        Assert.Equal([ids[1]], whileHeld.Select(c => c.Id));
        Assert.Equal([ids[0]], afterwards.Select(c => c.Id));
    }

    [Fact]
    public async Task A_key_job_inserted_ahead_after_a_claim_started_the_keys_next_job_still_waits_for_the_running_one()
    {
        // The running job of key-b holds the key; a job inserted with an earlier due time (ahead of the waiting
        // ones) must not start beside it, whichever claim looks first.
        var ids = await InsertAsync(("key-b", "1"), ("key-b", "2"));
        var head = Assert.Single(await ClaimAsync());
        Assert.Equal(ids[0], head.Id);
        var ahead = (await Store.JobsInsertAsync(new JobsInsertParams([new NewJob
        {
            Kind = "k", Queue = "default", Payload = "0", MaxAttempts = 3, Principal = JobPrincipal.System,
            ConcurrencyKey = "key-b", RunAt = DateTimeOffset.UnixEpoch,
        }]), CancellationToken.None))[0].JobId;

        Assert.Empty(await ClaimAsync());
        await Store.JobsCompleteAsync(new JobsCompleteParams([new JobCompletion { Lease = new JobLease(head.Id, head.LeaseToken), Outcome = JobOutcome.Succeeded }]), CancellationToken.None);
        Assert.Equal([ahead], (await ClaimAsync()).Select(c => c.Id));
    }

    private async Task<List<long>> InsertAsync(params (string? Key, string Payload)[] jobs) =>
        (await Store.JobsInsertAsync(new JobsInsertParams([.. jobs.Select(j => new NewJob
        {
            Kind = "k", Queue = "default", Payload = j.Payload, MaxAttempts = 3, Principal = JobPrincipal.System, ConcurrencyKey = j.Key,
        })]), CancellationToken.None)).Select(r => r.JobId).ToList();

    private Task<IReadOnlyList<ClaimedJob>> ClaimAsync() =>
        Store.JobsClaimAsync(new JobsClaimParams("default", 10, "w", TimeSpan.FromSeconds(30)), CancellationToken.None);
}
