using System.Collections.Concurrent;
using Conveyor.StoreTests.Engine;
using Conveyor.StoreTests.Infrastructure;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// Transactional completion through the whole engine: a handler writes its effect in the job's transaction and
/// commits it with the job's success; the engine then records nothing more for that attempt.
/// </summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresTransactionalCompletionTests : EngineTestBase<PostgresStoreFactory>
{
    [Fact]
    public async Task The_effect_and_the_success_commit_together_and_the_engine_adds_no_completion()
    {
        var (client, schema) = await StartAsync();

        var submitted = await client.EnqueueAsync(new LedgerJob(schema, "invoice-1"));
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        Assert.Equal([(job.Id, 1)], await LedgerAsync(schema));
        Assert.Equal("""{"entry":"invoice-1"}""", job.Result);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Succeeded], await HistoryAsync(client, job.Id));
    }

    [Fact]
    public async Task A_handler_that_throws_after_writing_has_its_effect_and_follow_up_rolled_back_and_is_retried()
    {
        var (client, schema) = await StartAsync();

        var submitted = await client.EnqueueAsync(new LedgerJob(schema, "invoice-2", FailOnAttempt: 1, FollowUp: true));
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        // Attempt 1 wrote a ledger row and enqueued a follow-up, then threw: both rolled back. Attempt 2 committed both.
        Assert.Equal([(job.Id, 2)], await LedgerAsync(schema));
        Assert.Equal(
            [JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.RetryScheduled, JobEventKind.Started, JobEventKind.Succeeded],
            await HistoryAsync(client, job.Id));
        var jobs = await client.ListAsync(new JobQuery());
        var followUp = Assert.Single(jobs.Jobs, j => j.Id != job.Id);
        Assert.Equal("""{"text":"after invoice-2","steps":0}""", followUp.Payload);
        await WaitForAsync(client, followUp.Id, JobState.Succeeded);
    }

    [Fact]
    public async Task A_handler_that_throws_after_its_commit_still_succeeded_once()
    {
        var (client, schema) = await StartAsync();

        var submitted = await client.EnqueueAsync(new LedgerJob(schema, "invoice-3", ThrowAfterCommit: true));
        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);
        Assert.IsType<InvalidOperationException>(await LedgerHandler.After(job.Id).Task.WaitAsync(Patience));
        // Another job through the same claim loop: a completion of the first attempt would have ridden on its claim.
        var next = await client.EnqueueAsync(new LedgerJob(schema, "invoice-4"));
        await WaitForAsync(client, next.JobId, JobState.Succeeded);

        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Succeeded], await HistoryAsync(client, job.Id));
        Assert.Equal(1, (await client.GetAsync(job.Id))?.Attempt);
        Assert.Equal([(job.Id, 1), (next.JobId, 1)], await LedgerAsync(schema));
    }

    [Fact]
    public async Task The_handlers_statements_are_planned_with_sequential_scans_allowed_unlike_the_stores()
    {
        // The store's sessions price sequential scans out (enable_seqscan=off); the handler's transaction, on one of
        // them, sets it back for its own statements (PostgreSQL's default), and the completion still succeeds.
        var (client, schema) = await StartAsync();

        var submitted = await client.EnqueueAsync(new LedgerJob(schema, "invoice-5"));
        await WaitForAsync(client, submitted.JobId, JobState.Succeeded);

        await using var connection = await OpenAsync();
        await using var read = new NpgsqlCommand($"SELECT seqscan FROM \"{schema}\".ledger", connection);
        Assert.Equal("on", await read.ExecuteScalarAsync());
    }

    private async Task<(IJobClient Client, string Schema)> StartAsync()
    {
        var host = BuildHost(o => o.AddJob<LedgerJob, LedgerHandler>("ledger"), out var schema);
        await host.StartAsync();
        await using var connection = await OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE TABLE \"{schema}\".ledger (job_id bigint NOT NULL, attempt int NOT NULL, entry text NOT NULL, seqscan text NOT NULL DEFAULT current_setting('enable_seqscan'))", connection);
        await create.ExecuteNonQueryAsync();
        return (Client(host), schema);
    }

    private async Task<List<(long, int)>> LedgerAsync(string schema)
    {
        await using var connection = await OpenAsync();
        await using var read = new NpgsqlCommand($"SELECT job_id, attempt FROM \"{schema}\".ledger ORDER BY job_id, attempt", connection);
        var rows = new List<(long, int)>();
        await using var r = await read.ExecuteReaderAsync();
        while (await r.ReadAsync())
            rows.Add((r.GetInt64(0), r.GetInt32(1)));
        return rows;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}

/// <summary>Writes one ledger row in the job's transaction; may enqueue a follow-up in it, fail before the commit, or throw after it.</summary>
public sealed record LedgerJob(string Schema, string Entry, int FailOnAttempt = 0, bool FollowUp = false, bool ThrowAfterCommit = false);

public sealed class LedgerHandler(IJobClient client) : IJobHandler<LedgerJob>
{
    private static readonly ConcurrentDictionary<long, TaskCompletionSource<Exception?>> Afters = new();

    /// <summary>What the context said when the handler tried to report progress after its commit.</summary>
    public static TaskCompletionSource<Exception?> After(long jobId) =>
        Afters.GetOrAdd(jobId, _ => new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously));

    public async Task HandleAsync(JobContext<LedgerJob> job, CancellationToken cancellationToken)
    {
        var ledger = job.Payload;
        await using (var tx = await job.BeginTransactionAsync(cancellationToken))
        {
            await using (var insert = new NpgsqlCommand($"INSERT INTO \"{ledger.Schema}\".ledger VALUES ($1, $2, $3)", tx.Connection, tx.Transaction))
            {
                insert.Parameters.AddWithValue(job.JobId);
                insert.Parameters.AddWithValue(job.Attempt);
                insert.Parameters.AddWithValue(ledger.Entry);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            if (ledger.FollowUp)
                await client.EnqueueAsync(new EchoJob($"after {ledger.Entry}"), tx.Transaction, cancellationToken: cancellationToken);
            if (job.Attempt == ledger.FailOnAttempt)
                throw new TimeoutException($"The ledger timed out after writing (attempt {job.Attempt}).");
            job.SetResult(new { entry = ledger.Entry });
            await tx.CommitAsync(cancellationToken);
        }
        if (!ledger.ThrowAfterCommit)
            return;
        var after = await Record(() => job.ReportProgressAsync(100));
        After(job.JobId).TrySetResult(after);
        throw new InvalidOperationException("The handler failed after its commit.");
    }

    private static async Task<Exception?> Record(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
