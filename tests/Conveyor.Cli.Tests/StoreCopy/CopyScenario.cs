using System.Text.Json;
using Conveyor.Cli.StoreCopy;
using Conveyor.Postgres;
using Conveyor.Sqlite;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Conveyor.Cli.Tests.StoreCopy;

/// <summary>
/// A deployment's state built through a real store's SPI: a job in every state (pending, scheduled, running, awaiting
/// input, answered, succeeded with a result and artefacts, failed, cancelled), their histories, steps and questions,
/// API keys (one revoked) and a paused queue. <see cref="SnapshotAsync"/> reads it all back through the store API.
/// </summary>
internal static class CopyScenario
{
    /// <summary>The queue of the job a host on the destination runs (<c>test.echo</c>); every other job sits in a queue no host serves.</summary>
    public const string RunnableQueue = ConveyorOptions.DefaultQueueName;

    private static readonly JobPrincipal Ada = new("ada", "lab-1", ["submitter", "reviewer"]);

    /// <summary>Fills <paramref name="store"/> (migrated, empty) and returns the ids of its jobs; the first is the runnable pending one.</summary>
    public static async Task<IReadOnlyList<long>> PopulateAsync(IJobStore store)
    {
        var none = CancellationToken.None;
        await store.ApiKeyInsertAsync(new ApiKeyRecord { Id = "k1", SecretHash = "h1", Name = "ops key", User = "ops", Roles = ["admin"], CreatedBy = "bootstrap" }, none);
        await store.ApiKeyInsertAsync(new ApiKeyRecord { Id = "k2", SecretHash = "h2", Name = "lab key", User = "ada", Tenant = "lab-1", Roles = ["submitter", "reviewer"] }, none);
        await store.ApiKeyRevokeAsync("k2", none);
        await store.QueueSetPausedAsync(new QueueSetPausedParams("held", true, "ops"), none);
        await store.QueueSetPausedAsync(new QueueSetPausedParams("resumed", true, "ops"), none);
        await store.QueueSetPausedAsync(new QueueSetPausedParams("resumed", false, "ada"), none);

        var ids = new List<long>
        {
            await InsertAsync(store, Job("test.echo", RunnableQueue, """{"text":"after the move"}""")),
            await InsertAsync(store, Job("later", "later", """{"n":2}""") with { Delay = TimeSpan.FromDays(1) }),
            await InsertAsync(store, Job("keyed", "held", """{"n":3}""") with
            {
                IdempotencyKey = "order-3", ConcurrencyKey = "customer-9", ConcurrencyLimit = 2, Tags = ["vip", "é ü"],
                Priority = JobPriority.High, TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            }),
        };

        // Running: claimed, with progress and a finished step.
        var running = await ClaimAsync(store, Job("work", "running", """{"n":4}"""));
        await store.JobProgressSetAsync(new JobProgressSetParams(running, new JobProgress(40, "transform", "2 of 5")), none);
        await store.JobStepSaveAsync(new JobStepSaveParams(running, "fetch", """{"rows":5}"""), none);
        ids.Add(running.JobId);

        // Awaiting input: a step, then a question (allowed users and roles, re-ask policy).
        var asking = await ClaimAsync(store, Job("ask", "asks", """{"n":5}"""));
        await store.JobStepSaveAsync(new JobStepSaveParams(asking, "draft", """{"text":"v1"}"""), none);
        Assert.Equal(JobSuspendOutcome.Suspended, await store.JobSuspendAsync(Question(asking, "clarify", new InteractionTimeoutPolicy(InteractionTimeoutAction.ReAsk, null, 2)), none));
        ids.Add(asking.JobId);

        // Answered: asked, answered, back to pending with the answer stored.
        var answered = await ClaimAsync(store, Job("ask", "asks-answered", """{"n":6}"""));
        Assert.Equal(JobSuspendOutcome.Suspended, await store.JobSuspendAsync(Question(answered, "approve", new InteractionTimeoutPolicy(InteractionTimeoutAction.UseDefault, """{"go":false}""")), none));
        var question = Assert.Single((await store.InteractionsListAsync(new InteractionQuery { JobId = answered.JobId }, none)).Interactions);
        Assert.Equal(InteractionAnswerOutcome.Answered, await store.InteractionAnswerAsync(new InteractionAnswerParams(question.Id, """{"go":true}""", "ada"), none));
        ids.Add(answered.JobId);

        // Succeeded with a result and artefacts, after a log line.
        var succeeded = await ClaimAsync(store, Job("report", "done", """{"n":7}"""));
        await store.JobLogAppendAsync(new JobLogAppendParams(succeeded, "wrote the report"), none);
        await CompleteAsync(store, new JobCompletion
        {
            Lease = succeeded, Outcome = JobOutcome.Succeeded, Result = """{"pages":12,"title":"Q3 ✓"}""",
            Artifacts = [new JobArtifact("report", "/tmp/report-7.pdf", "application/pdf"), new JobArtifact("log", "/tmp/report-7.log")],
        });
        ids.Add(succeeded.JobId);

        // Failed (dead-lettered), after a retry.
        var failing = await ClaimAsync(store, Job("flaky", "dlq", """{"n":8}"""));
        await CompleteAsync(store, new JobCompletion { Lease = failing, Outcome = JobOutcome.Retry, Error = "upstream timed out", RetryDelay = TimeSpan.Zero });
        var again = Assert.Single(await store.JobsClaimAsync(new JobsClaimParams("dlq", 1, "worker-1", TimeSpan.FromHours(1)), none));
        await CompleteAsync(store, new JobCompletion { Lease = new JobLease(again.Id, again.LeaseToken), Outcome = JobOutcome.Failed, Error = "invoice INV-404 does not exist" });
        ids.Add(failing.JobId);

        // Cancelled while pending.
        var cancelled = await InsertAsync(store, Job("work", "other", """{"n":9}"""));
        await store.JobCancelAsync(new JobCancelParams(cancelled, "ops"), none);
        ids.Add(cancelled);
        // Schedules: one that fired (its job is linked), one paused by an operator.
        var nightly = new ScheduleDefinition
        {
            Name = "nightly", Cron = "30 2 * * *", TimeZone = "Europe/Berlin", Kind = "test.echo", Payload = """{"text":"nightly"}""",
            Priority = JobPriority.High, Misfire = MisfirePolicy.FireEach, MaxCatchUp = 3, Overlap = OverlapPolicy.Skip,
        };
        var tick = new DateTimeOffset(2026, 1, 1, 1, 30, 0, TimeSpan.Zero);
        await store.ScheduleUpsertAsync(new ScheduleUpsertParams(nightly, ScheduleSource.Code, tick), none);
        await store.ScheduleUpsertAsync(new ScheduleUpsertParams(nightly with { Name = "paused", Queue = "held" }, ScheduleSource.Api, null), none);
        await store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("paused", true, "ops"), none);
        var fired = await store.ScheduleFireAsync(new ScheduleFireParams
        {
            Name = "nightly", Expected = tick, Next = tick.AddDays(1), Ticks = [tick], Job = Job("test.echo", "held", """{"text":"nightly"}"""),
        }, none);
        ids.Add(fired.JobIds[0]);
        return ids;
    }

    /// <summary>Everything the store API shows of the scenario, one JSON line per item, so a difference names its item.</summary>
    public static async Task<List<string>> SnapshotAsync(IJobStore store, IReadOnlyList<long> jobIds)
    {
        var none = CancellationToken.None;
        var lines = new List<string>();
        foreach (var id in jobIds)
        {
            lines.Add("job " + Json(await store.JobGetAsync(id, none)));
            foreach (var e in await store.JobEventsListAsync(new JobEventsListParams(id), none))
                lines.Add("event " + Json(e));
            foreach (var step in await store.JobStepsListAsync(id, none))
                lines.Add($"step {id} " + Json(step));
            foreach (var interaction in (await store.InteractionsListAsync(new InteractionQuery { JobId = id }, none)).Interactions)
                lines.Add("interaction " + Json(interaction));
        }
        foreach (var key in (await store.ApiKeysListAsync(none)).OrderBy(k => k.Id, StringComparer.Ordinal))
            lines.Add("key " + Json(key));
        // The oldest pending job's age is measured from now: the one field that moves between two readings.
        foreach (var queue in (await store.QueuesListAsync(none)).OrderBy(q => q.Name, StringComparer.Ordinal))
            lines.Add("queue " + Json(queue with { OldestPendingAge = null }));
        foreach (var schedule in await store.SchedulesListAsync(none))
            lines.Add("schedule " + Json(schedule));
        lines.Add("latest event " + await store.EventsLatestIdAsync(none));
        return lines;
    }

    /// <summary>Runs a host on the store until the copied pending job has run; returns the job as it ended.</summary>
    public static async Task<JobInfo> RunPendingJobAsync(Action<ConveyorOptions> useStore, IJobStore reader, long jobId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddConveyor(o =>
        {
            useStore(o);
            o.PollInterval = TimeSpan.FromMilliseconds(100);
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            o.AddJob<Echo, EchoHandler>("test.echo");
        });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var job = await reader.JobGetAsync(jobId, CancellationToken.None);
                if (job?.State is JobState.Succeeded or JobState.Failed)
                    return job;
                // A condition wait: re-read the store until the host has run the job.
                await Task.Delay(20, deadline.Token);
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Every row of every copied table (all columns, in key order), straight from a SQLite file, for a byte-for-byte comparison.</summary>
    public static async Task<List<string>> SqliteRowsAsync(string path)
    {
        var rows = new List<string>();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        foreach (var (table, order) in new[] { ("queues", "name"), ("api_keys", "id"), ("schedules", "name"), ("jobs", "id"), ("job_events", "id"), ("job_steps", "job_id, name"), ("interactions", "id") })
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM {table} ORDER BY {order}";
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                // A column that holds no state (jobs.slack) is no copy's business.
                var columns = Enumerable.Range(0, reader.FieldCount).Where(i => !CopyTables.StorageOnlyColumns.Contains($"{table}.{reader.GetName(i)}"));
                rows.Add(table + " " + string.Join(" | ", columns.Select(i => $"{reader.GetName(i)}={(reader.IsDBNull(i) ? "NULL" : $"{reader.GetValue(i)} ({reader.GetValue(i).GetType().Name})")}")));
            }
        }
        return rows;
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    private static NewJob Job(string kind, string queue, string payload) => new()
    {
        Kind = kind, Queue = queue, Payload = payload, MaxAttempts = 3, Principal = Ada, Tags = ["copy"],
    };

    private static JobSuspendParams Question(JobLease lease, string key, InteractionTimeoutPolicy policy) => new()
    {
        Lease = lease,
        Key = key,
        PromptJson = new InteractionPrompt($"About {key}", [InteractionQuestion.Text("notes", "Anything else?", required: false), InteractionQuestion.Confirm("go", "Go ahead?")]).ToJson(),
        Timeout = TimeSpan.FromHours(1),
        TimeoutPolicy = policy,
        AllowedUsers = ["ada", "grace"],
        AllowedRoles = ["reviewer"],
        Actor = "ada",
    };

    private static async Task<long> InsertAsync(IJobStore store, NewJob job) =>
        Assert.Single(await store.JobsInsertAsync(new JobsInsertParams([job]), CancellationToken.None)).JobId;

    private static async Task<JobLease> ClaimAsync(IJobStore store, NewJob job)
    {
        var id = await InsertAsync(store, job);
        var claimed = Assert.Single(await store.JobsClaimAsync(new JobsClaimParams(job.Queue, 1, "worker-1", TimeSpan.FromHours(1)), CancellationToken.None));
        Assert.Equal(id, claimed.Id);
        return new JobLease(claimed.Id, claimed.LeaseToken);
    }

    private static async Task CompleteAsync(IJobStore store, JobCompletion completion) =>
        Assert.Single(await store.JobsCompleteAsync(new JobsCompleteParams([completion]), CancellationToken.None));
}

/// <summary>Stores for one test: SQLite files in a temp directory and scratch PostgreSQL schemas, all removed at the end.</summary>
internal sealed class CopyStores : IAsyncDisposable
{
    private readonly List<IJobStore> _stores = [];
    private readonly List<string> _schemas = [];

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("conveyor-cli-copy-").FullName;

    public static string ConnectionString => Environment.GetEnvironmentVariable("CONVEYOR_TEST_PG")
        ?? throw new InvalidOperationException("CONVEYOR_TEST_PG is not set: run the tests through ./test.sh, which starts PostgreSQL.");

    public string NewSqlitePath() => Path.Combine(Directory, $"{Guid.NewGuid():N}.db");

    public string NewSchema()
    {
        var schema = $"cp_{Guid.NewGuid():N}"[..20];
        _schemas.Add(schema);
        return schema;
    }

    public async Task<SqliteJobStore> SqliteAsync(string path, bool migrate = true)
    {
        var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        _stores.Add(store);
        if (migrate)
            await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    public async Task<PostgresJobStore> PostgresAsync(string schema, bool migrate = true)
    {
        var store = new PostgresJobStore(new PostgresStoreOptions { ConnectionString = ConnectionString, Schema = schema, Listen = false });
        _stores.Add(store);
        if (migrate)
            await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    /// <summary>Runs SQL on the test database (to bend a schema for a refusal test).</summary>
    public static async Task PostgresExecAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs SQL on a SQLite store file directly (what no store call does: a purge's leftovers, a foreign table, an old schema).</summary>
    public static async Task<object?> SqliteExecAsync(string path, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        if (_schemas.Count > 0)
            await PostgresExecAsync(string.Join(";", _schemas.Select(s => $"DROP SCHEMA IF EXISTS \"{s}\" CASCADE")));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing; the temp directory is the OS's to clean.
        }
    }
}
