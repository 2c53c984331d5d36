using Conveyor.StoreTests.Engine;
using Conveyor.StoreTests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// Enqueue inside the caller's transaction (<c>client.EnqueueAsync(payload, transaction)</c>): the job exists if and only
/// if the caller commits, with the validation, idempotency and bounds of a plain enqueue.
/// </summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresTransactionalEnqueueTests : EngineTestBase<PostgresStoreFactory>
{
    private static readonly TimeSpan SignalPatience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_job_enqueued_in_a_committed_transaction_commits_with_the_callers_row_and_runs()
    {
        var host = BuildHost(null, out var schema);
        await host.StartAsync();
        var client = Client(host);
        await using var connection = await OpenAsync();
        await ExecAsync(connection, $"CREATE TABLE \"{schema}\".orders (id int PRIMARY KEY)");

        await using var transaction = await connection.BeginTransactionAsync();
        await ExecAsync(connection, $"INSERT INTO \"{schema}\".orders VALUES (1)", transaction);
        var submitted = await client.EnqueueAsync(new EchoJob("order 1"), transaction);
        Assert.False(submitted.AlreadyExisted);
        Assert.Null(await client.GetAsync(submitted.JobId)); // not visible outside the transaction yet
        await transaction.CommitAsync();

        var job = await WaitForAsync(client, submitted.JobId, JobState.Succeeded);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Succeeded], await HistoryAsync(client, job.Id));
        Assert.Equal(1L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".orders"));
    }

    [Fact]
    public async Task Every_store_instance_including_the_submitters_own_is_woken_at_the_commit()
    {
        var (host, schema) = await StartProducerAsync(o => o.AddQueue("mail", q => q.Concurrency = 0));
        var listener = Factory.Open(schema);
        await listener.ListeningAsync().WaitAsync(SignalPatience);
        var woken = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Signals.JobsReady += (queue, _) => woken.TrySetResult(queue);
        await using var connection = await OpenAsync();

        await using var transaction = await connection.BeginTransactionAsync();
        await Client(host).EnqueueAsync(new EchoJob("x"), transaction, new EnqueueOptions { Queue = "mail" });
        await transaction.CommitAsync();

        Assert.Equal("mail", await woken.Task.WaitAsync(SignalPatience));
    }

    [Fact]
    public async Task A_rolled_back_transaction_leaves_no_job_no_event_and_wakes_nobody()
    {
        var (host, schema) = await StartProducerAsync(o =>
        {
            o.AddQueue("rolled-back", q => q.Concurrency = 0);
            o.AddQueue("marker", q => q.Concurrency = 0);
        });
        var client = Client(host);
        var listener = Factory.Open(schema);
        await listener.ListeningAsync().WaitAsync(SignalPatience);
        var woken = new List<string>();
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Signals.JobsReady += (queue, _) =>
        {
            lock (woken)
                woken.Add(queue);
            if (queue == "marker")
                marker.TrySetResult();
        };
        await using var connection = await OpenAsync();

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await client.EnqueueManyAsync([new EchoJob("a"), new EchoJob("b")], transaction, new EnqueueOptions { Queue = "rolled-back" });
            await transaction.RollbackAsync();
        }
        // Notifications arrive in commit order: once the marker's is heard, a notification of the rolled-back
        // transaction, had there been one, would have been heard before it.
        await client.EnqueueAsync(new EchoJob("marker"), new EnqueueOptions { Queue = "marker" });
        await marker.Task.WaitAsync(SignalPatience);

        Assert.Equal(["marker"], woken);
        Assert.Equal(1L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".jobs"));
        Assert.Equal(1L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".job_events"));
    }

    [Fact]
    public async Task An_idempotency_key_repeated_inside_the_transaction_returns_the_uncommitted_job()
    {
        var (host, _) = await StartProducerAsync();
        var client = Client(host);
        await using var connection = await OpenAsync();
        var keyed = new EnqueueOptions { IdempotencyKey = "order-7" };

        await using var transaction = await connection.BeginTransactionAsync();
        var first = await client.EnqueueAsync(new EchoJob("order 7"), transaction, keyed);
        var again = await client.EnqueueAsync(new EchoJob("order 7"), transaction, keyed);
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => client.EnqueueAsync(new EchoJob("another payload"), transaction, keyed));
        await transaction.CommitAsync();

        Assert.False(first.AlreadyExisted);
        Assert.True(again.AlreadyExisted);
        Assert.Equal(first.JobId, again.JobId);
        Assert.Equal(JobState.Pending, (await client.GetAsync(first.JobId))?.State);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_plain_enqueue_of_a_key_held_by_an_open_transaction_waits_for_it_and_follows_its_outcome(bool commit)
    {
        var (host, schema) = await StartProducerAsync();
        var client = Client(host);
        await using var connection = await OpenAsync();
        var keyed = new EnqueueOptions { IdempotencyKey = "order-8" };
        await using var transaction = await connection.BeginTransactionAsync();
        var inTransaction = await client.EnqueueAsync(new EchoJob("order 8"), transaction, keyed);

        var outside = await BlockedUntilTheTransactionEndsAsync(client.EnqueueAsync(new EchoJob("order 8"), keyed), schema, transaction, commit);

        Assert.Equal(commit, outside.AlreadyExisted);
        Assert.Equal(commit, outside.JobId == inTransaction.JobId);
        Assert.NotNull(await client.GetAsync(outside.JobId));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_plain_enqueue_of_a_unique_key_held_by_an_open_transaction_waits_for_it_and_follows_its_outcome(bool commit)
    {
        var (host, schema) = await StartProducerAsync(o => o.AddJob<UniqueSync, UniqueSyncHandler>("unique-sync", t => t.UniqueFor(TimeSpan.FromMinutes(5), "accountId")));
        var client = Client(host);
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var inTransaction = await client.EnqueueAsync(new UniqueSync(7, "first"), transaction);
        Assert.True((await client.EnqueueAsync(new UniqueSync(7, "again"), transaction)).AlreadyExisted);

        var outside = await BlockedUntilTheTransactionEndsAsync(client.EnqueueAsync(new UniqueSync(7, "outside")), schema, transaction, commit);

        Assert.Equal(commit, outside.AlreadyExisted);
        Assert.Equal(commit, outside.JobId == inTransaction.JobId);
        Assert.Equal(1L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".jobs"));
    }

    /// <summary>
    /// Checks that <paramref name="plain"/> waits on a lock the open <paramref name="transaction"/> holds, ends the
    /// transaction (commit or rollback), and returns what the plain enqueue then answers.
    /// </summary>
    private async Task<EnqueueResult> BlockedUntilTheTransactionEndsAsync(Task<EnqueueResult> plain, string schema, NpgsqlTransaction transaction, bool commit)
    {
        await WaitUntilBlockedOnALockAsync(schema);
        Assert.False(plain.IsCompleted);
        if (commit)
            await transaction.CommitAsync();
        else
            await transaction.RollbackAsync();
        return await plain.WaitAsync(Patience);
    }

    public sealed record UniqueSync(int AccountId, string Note);

    public sealed class UniqueSyncHandler : IJobHandler<UniqueSync>
    {
        public Task HandleAsync(JobContext<UniqueSync> job, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_validation_error_is_thrown_before_the_transaction_is_touched()
    {
        var (host, schema) = await StartProducerAsync();
        var client = Client(host);
        await using var connection = await OpenAsync();
        await ExecAsync(connection, $"CREATE TABLE \"{schema}\".orders (id int PRIMARY KEY)");

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await ExecAsync(connection, $"INSERT INTO \"{schema}\".orders VALUES (1)", transaction);
            var invalid = await Assert.ThrowsAsync<JobValidationException>(() =>
                client.EnqueueManyAsync([new EchoJob("ok"), new EchoJob("bad")], transaction, new EnqueueOptions { MaxAttempts = 0 }));
            Assert.Equal("jobs[0].maxAttempts", invalid.Field);
            // The transaction is untouched and still usable: the caller's own work commits.
            await ExecAsync(connection, $"INSERT INTO \"{schema}\".orders VALUES (2)", transaction);
            await transaction.CommitAsync();
        }

        Assert.Equal(2L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".orders"));
        Assert.Equal(0L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".jobs"));
        // Validation comes first even when the transaction could not be used at all.
        await using var ended = await connection.BeginTransactionAsync();
        await ended.CommitAsync();
        await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueAsync(new EchoJob("x"), ended, new EnqueueOptions { Delay = TimeSpan.FromSeconds(-1) }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.EnqueueAsync(new EchoJob("x"), ended));
    }

    [Fact]
    public async Task A_full_bounded_queue_refuses_the_whole_batch_and_the_transaction_stays_usable()
    {
        var (host, schema) = await StartProducerAsync(o => o.AddQueue("bounded", q => { q.Concurrency = 0; q.MaxWaiting = 2; }));
        var client = Client(host);
        await using var connection = await OpenAsync();
        var bounded = new EnqueueOptions { Queue = "bounded" };

        await using var transaction = await connection.BeginTransactionAsync();
        await client.EnqueueAsync(new EchoJob("1"), transaction, bounded);
        var full = await Assert.ThrowsAsync<QueueFullException>(() => client.EnqueueManyAsync([new EchoJob("2"), new EchoJob("3")], transaction, bounded));
        await transaction.CommitAsync();

        Assert.Equal("bounded", full.Queue);
        Assert.Equal(1L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".jobs"));
    }

    [Fact]
    public async Task A_tenant_at_its_bound_is_refused_in_the_transaction_and_other_tenants_are_not()
    {
        var (host, schema) = await StartProducerAsync(o => { o.MaxWaitingPerTenant = 2; o.RetryAfterWhenTenantFull = TimeSpan.FromSeconds(3); });
        var client = Client(host);
        await using var connection = await OpenAsync();
        var acme = new EnqueueOptions { Principal = JobPrincipal.For("ada", "acme") };

        await using var transaction = await connection.BeginTransactionAsync();
        await client.EnqueueAsync(new EchoJob("1"), transaction, acme);
        var full = await Assert.ThrowsAsync<TenantFullException>(() => client.EnqueueManyAsync([new EchoJob("2"), new EchoJob("3")], transaction, acme));
        await client.EnqueueManyAsync([new EchoJob("4"), new EchoJob("5")], transaction, new EnqueueOptions { Principal = JobPrincipal.For("bob", "globex") });
        await transaction.CommitAsync();

        Assert.Equal(("acme", 2, TimeSpan.FromSeconds(3)), (full.Tenant, full.MaxWaiting, full.RetryAfter));
        Assert.Equal(3L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".jobs"));
    }

    [Fact]
    public async Task Many_jobs_in_one_transaction_commit_together()
    {
        var (host, schema) = await StartProducerAsync();
        await using var connection = await OpenAsync();

        await using var transaction = await connection.BeginTransactionAsync();
        var results = await Client(host).EnqueueManyAsync(Enumerable.Range(0, 1000).Select(i => new EchoJob($"{i}")), transaction);
        await using (var outside = await OpenAsync())
            Assert.Equal(0L, await ScalarAsync(outside, $"SELECT count(*) FROM \"{schema}\".jobs"));
        await transaction.CommitAsync();

        Assert.Equal(1000, results.Select(r => r.JobId).Distinct().Count());
        Assert.Equal(1000L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".jobs"));
        Assert.Equal(1000L, await ScalarAsync(connection, $"SELECT count(*) FROM \"{schema}\".job_events WHERE kind = 0"));
    }

    /// <summary>A host that only produces, its schema already migrated (a producer migrates on first use).</summary>
    private async Task<(IHost Host, string Schema)> StartProducerAsync(Action<ConveyorOptions>? configure = null)
    {
        var host = BuildHost(o => { o.RunWorkers = false; configure?.Invoke(o); }, out var schema);
        await host.StartAsync();
        await Client(host).GetAsync(0);
        return (host, schema);
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Waits until a statement on <paramref name="schema"/> waits for a lock (the plain enqueue behind the open transaction's key).</summary>
    private async Task WaitUntilBlockedOnALockAsync(string schema)
    {
        await using var connection = await OpenAsync();
        await using var blocked = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position(@schema IN query) > 0", connection);
        blocked.Parameters.AddWithValue("schema", schema);
        using var deadline = new CancellationTokenSource(Patience);
        while ((long)(await blocked.ExecuteScalarAsync())! == 0)
        {
            if (deadline.IsCancellationRequested)
                throw new Xunit.Sdk.XunitException($"No session waited for a lock within {Patience}.");
            await Task.Delay(10);
        }
    }

    private static async Task ExecAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
