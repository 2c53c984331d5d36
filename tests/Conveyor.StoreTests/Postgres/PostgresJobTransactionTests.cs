using System.Text.Json;
using Conveyor.Postgres;
using Conveyor.StoreTests.Infrastructure;
using Conveyor.StoreTests.Sqlite;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// Transactional completion at the store's level, with an attempt built by hand so the test decides when the lease
/// is lost: the handler's writes and the job's success commit together, or neither does.
/// </summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresJobTransactionTests : PostgresStoreTestBase
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly IServiceProvider Services = new ServiceCollection().BuildServiceProvider();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task A_commit_stores_the_effect_and_the_success_with_its_result_together()
    {
        var (run, context) = await ClaimAsync();
        await CreateEffectsAsync();

        await using (var tx = await context.BeginTransactionAsync())
        {
            await WriteEffectAsync(tx, context);
            context.SetResult(new { total = 42 });
            context.AddArtifact("receipt", "/tmp/receipt.pdf", "application/pdf");
            await tx.CommitAsync();
        }

        Assert.True(run.IsCompleted);
        Assert.Equal(1L, await EffectsAsync());
        var job = await Store.JobGetAsync(context.JobId, CancellationToken.None);
        Assert.Equal(JobState.Succeeded, job?.State);
        Assert.Equal("""{"total":42}""", job?.Result);
        Assert.Equal(new JobArtifact("receipt", "/tmp/receipt.pdf", "application/pdf"), Assert.Single(job!.Artifacts));
        var succeeded = (await Store.JobEventsListAsync(new JobEventsListParams(context.JobId), CancellationToken.None))[^1];
        Assert.Equal((JobEventKind.Succeeded, "worker-1", 1), (succeeded.Kind, succeeded.Actor, succeeded.Attempt));
        // The attempt is over: nothing more can be recorded for it, and a second completion is refused.
        await Assert.ThrowsAsync<InvalidOperationException>(() => context.ReportProgressAsync(50));
        await Assert.ThrowsAsync<InvalidOperationException>(() => context.LogAsync("late"));
        Assert.Throws<InvalidOperationException>(() => context.SetResult(1));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await context.BeginTransactionAsync());
    }

    [Fact]
    public async Task Disposing_without_a_commit_rolls_the_effect_back_and_the_job_keeps_running()
    {
        var (run, context) = await ClaimAsync();
        await CreateEffectsAsync();

        await using (var tx = await context.BeginTransactionAsync())
            await WriteEffectAsync(tx, context);

        Assert.False(run.IsCompleted);
        Assert.Equal(0L, await EffectsAsync());
        Assert.Equal(JobState.Running, (await Store.JobGetAsync(context.JobId, CancellationToken.None))?.State);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_lost_lease_refuses_the_commit_and_none_of_the_handlers_writes_commit(bool claimedAgain)
    {
        var (run, context) = await ClaimAsync();
        await CreateEffectsAsync();
        await using var tx = await context.BeginTransactionAsync();
        await WriteEffectAsync(tx, context);

        // Meanwhile the lease expires and the reaper recovers the job (and, perhaps, another worker claims it).
        await ExpireLeaseAsync(context.JobId);
        Assert.Single(await Store.JobsReapAsync(new JobsReapParams(10), CancellationToken.None));
        if (claimedAgain)
            Assert.Single(await Store.JobsClaimAsync(new JobsClaimParams("default", 1, "worker-2", TimeSpan.FromSeconds(30)), CancellationToken.None));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tx.CommitAsync());

        Assert.Equal(StopReason.LeaseLost, run.Reason);
        Assert.True(context.CancellationToken.IsCancellationRequested);
        Assert.False(run.IsCompleted);
        Assert.Equal(0L, await EffectsAsync());
        var job = await Store.JobGetAsync(context.JobId, CancellationToken.None);
        Assert.Equal(claimedAgain ? JobState.Running : JobState.Pending, job?.State);
        Assert.DoesNotContain(JobEventKind.Succeeded, (await Store.JobEventsListAsync(new JobEventsListParams(context.JobId), CancellationToken.None)).Select(e => e.Kind));
    }

    [Fact]
    public async Task Heartbeats_go_on_while_the_handlers_transaction_is_open()
    {
        var (run, context) = await ClaimAsync();
        await CreateEffectsAsync();
        await using var tx = await context.BeginTransactionAsync();
        await WriteEffectAsync(tx, context);

        // The job's row is not locked until the commit, so a heartbeat from another connection does not wait.
        var beat = await Store.JobsHeartbeatAsync(new JobsHeartbeatParams([run.Lease], TimeSpan.FromSeconds(30)), CancellationToken.None).WaitAsync(Patience);
        await tx.CommitAsync();

        Assert.Empty(beat.Lost);
        Assert.Equal(JobState.Succeeded, (await Store.JobGetAsync(context.JobId, CancellationToken.None))?.State);
    }

    [Fact]
    public async Task A_commit_that_frees_a_concurrency_key_wakes_every_queue_after_it_commits()
    {
        var (_, context) = await ClaimAsync(concurrencyKey: "customer-9");
        var woken = new List<string>();
        Store.Signals.JobsReady += (queue, _) => woken.Add(queue);

        await using (var tx = await context.BeginTransactionAsync())
            await tx.CommitAsync();

        Assert.Equal([StoreSignals.AnyQueue], woken);
    }

    [Fact]
    public async Task A_job_transaction_needs_the_PostgreSQL_store()
    {
        await using var sqliteFactory = new SqliteStoreFactory();
        var sqlite = await sqliteFactory.CreateAsync(TimeProvider.System);
        var (run, _) = await ClaimAsync();
        var context = new JobContext<string>(run, sqlite, Json, Services, "entry", run.Stopping.Token);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(async () => await context.BeginTransactionAsync());
        Assert.Contains("UsePostgres", refused.Message, StringComparison.Ordinal);
    }

    private async Task<(RunningJob Run, JobContext<string> Context)> ClaimAsync(string? concurrencyKey = null)
    {
        await Store.JobsInsertAsync(new JobsInsertParams([new NewJob
        {
            Kind = "ledger", Queue = "default", Payload = "\"entry\"", MaxAttempts = 3, Principal = JobPrincipal.System, ConcurrencyKey = concurrencyKey,
        }]), CancellationToken.None);
        var claim = Assert.Single(await Store.JobsClaimAsync(new JobsClaimParams("default", 1, "worker-1", TimeSpan.FromSeconds(30)), CancellationToken.None));
        var run = new RunningJob(claim, "worker-1");
        return (run, new JobContext<string>(run, Store, Json, Services, "entry", run.Stopping.Token));
    }

    private async Task CreateEffectsAsync()
    {
        await using var connection = await OpenAsync();
        await ExecAsync(connection, $"CREATE TABLE \"{Store.Schema}\".effects (job_id bigint NOT NULL, attempt int NOT NULL)");
    }

    private async Task WriteEffectAsync(PostgresJobTransaction tx, JobContext context)
    {
        await using var insert = new NpgsqlCommand($"INSERT INTO \"{Store.Schema}\".effects VALUES ($1, $2)", tx.Connection, tx.Transaction);
        insert.Parameters.AddWithValue(context.JobId);
        insert.Parameters.AddWithValue(context.Attempt);
        Assert.Equal(1, await insert.ExecuteNonQueryAsync());
    }

    private async Task<long> EffectsAsync()
    {
        await using var connection = await OpenAsync();
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM \"{Store.Schema}\".effects", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private async Task ExpireLeaseAsync(long jobId)
    {
        await using var connection = await OpenAsync();
        await ExecAsync(connection, $"UPDATE \"{Store.Schema}\".jobs SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE id = {jobId}");
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
