using Conveyor.Sqlite;
using Microsoft.Data.Sqlite;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>Versioned migrations of the SQLite store: once, concurrently safe, and refusing a newer schema.</summary>
public sealed class SqliteMigrationTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_database_never_migrated_is_at_version_0()
    {
        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = _factory.NewLocation() });
        Assert.Equal(0, await store.SchemaVersionAsync(CancellationToken.None));
        await store.MigrateAsync(CancellationToken.None);
        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Ten_stores_migrating_one_file_at_once_apply_each_migration_exactly_once()
    {
        var path = _factory.NewLocation();
        var stores = Enumerable.Range(0, 10).Select(_ => new SqliteJobStore(new SqliteStoreOptions { Path = path })).ToList();

        await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(CancellationToken.None))));

        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await stores[0].SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(SqliteJobStore.Migrations.Count, Scalar(path, "SELECT count(*) FROM conveyor_schema"));
        Assert.Equal("wal", Text(path, "PRAGMA journal_mode"));
        foreach (var store in stores)
            await store.DisposeAsync();
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused_with_a_clear_message()
    {
        var path = _factory.NewLocation();
        await using (var store = new SqliteJobStore(new SqliteStoreOptions { Path = path }))
            await store.MigrateAsync(CancellationToken.None);
        Scalar(path, "INSERT INTO conveyor_schema (version, name, applied_at) VALUES (99, '0099_future', 0)");

        await using var older = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        var error = await Assert.ThrowsAsync<ConveyorException>(() => older.MigrateAsync(CancellationToken.None));

        Assert.Contains("schema version 99, newer than this build knows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_created_by_an_earlier_run_keeps_its_jobs()
    {
        var path = _factory.NewLocation();
        long id;
        await using (var first = new SqliteJobStore(new SqliteStoreOptions { Path = path }))
        {
            await first.MigrateAsync(CancellationToken.None);
            id = (await first.JobsInsertAsync(new JobsInsertParams([new NewJob { Kind = "k", Queue = "default", Payload = "{}", MaxAttempts = 1, Principal = JobPrincipal.System }]), CancellationToken.None))[0].JobId;
        }

        await using var second = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await second.MigrateAsync(CancellationToken.None);

        Assert.Equal(JobState.Pending, (await second.JobGetAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task A_version_3_database_is_upgraded_by_migration_0004_and_its_jobs_gain_an_empty_traceparent_and_api_keys()
    {
        var path = _factory.NewLocation();
        using (var v3 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v3.Open();
            using var create = v3.CreateCommand();
            create.CommandText = "CREATE TABLE conveyor_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);" +
                string.Concat(SqliteJobStore.Migrations.Where(m => m.Version <= 3).Select(m => m.Sql + $";\nINSERT INTO conveyor_schema VALUES ({m.Version}, '{m.Name}', 0);\n")) +
                "INSERT INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, created_at, updated_at) " +
                "VALUES ('k', 'default', 1, 2, '{}', 0, 0, 3, 0, 0);" +
                "INSERT INTO job_events (job_id, at, kind, attempt) VALUES (1, 0, 0, 0);";
            create.ExecuteNonQuery();
        }

        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(1, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'jobs_awaiting'"));
        var claimed = Assert.Single(await store.JobsClaimAsync(new JobsClaimParams("default", 1, "w", TimeSpan.FromMinutes(1)), CancellationToken.None));
        Assert.Equal(1, claimed.Id);
        Assert.Null(claimed.TraceParent);
        Assert.Equal([(1L, "default")], (await store.EventsFeedAsync(new EventsFeedParams(0, 10), CancellationToken.None)).Select(f => (f.Event.JobId, f.Queue)).Distinct());
        await store.ApiKeyInsertAsync(new ApiKeyRecord { Id = "k", SecretHash = "h", Name = "n", User = "u", Roles = [] }, CancellationToken.None);
        Assert.Equal("k", Assert.Single(await store.ApiKeysListAsync(CancellationToken.None)).Id);
    }

    [Fact]
    public async Task A_version_4_database_is_upgraded_by_migration_0005_and_its_waiting_jobs_count_toward_their_tenants_bound()
    {
        var path = _factory.NewLocation();
        using (var v4 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v4.Open();
            using var create = v4.CreateCommand();
            // Two waiting jobs of tenant acme (one scheduled), one running one of acme, one waiting job of the default tenant.
            create.CommandText = "CREATE TABLE conveyor_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);" +
                string.Concat(SqliteJobStore.Migrations.Where(m => m.Version <= 4).Select(m => m.Sql + $";\nINSERT INTO conveyor_schema VALUES ({m.Version}, '{m.Name}', 0);\n")) +
                "INSERT INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, tenant, created_at, updated_at) VALUES " +
                "('k', 'default', 1, 2, '{}', 0, 0, 3, 'acme', 0, 0), ('k', 'default', 1, 2, '{}', 9000000000000000, 0, 3, 'acme', 0, 0), " +
                "('k', 'default', 2, 2, '{}', 0, 0, 3, 'acme', 0, 0), ('k', 'default', 1, 2, '{}', 0, 0, 3, '', 0, 0);";
            create.ExecuteNonQuery();
        }

        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(1, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'jobs_tenant_waiting'"));
        var bound = new TenantBound(3, TimeSpan.FromSeconds(1));
        NewJob Job(string? tenant) => new() { Kind = "k", Queue = "default", Payload = "{}", MaxAttempts = 1, Principal = new JobPrincipal(null, tenant, []) };
        Assert.Single(await store.JobsInsertAsync(new JobsInsertParams([Job("acme")]) { TenantBound = bound }, CancellationToken.None));
        var full = await Assert.ThrowsAsync<TenantFullException>(() => store.JobsInsertAsync(new JobsInsertParams([Job("acme")]) { TenantBound = bound }, CancellationToken.None));
        Assert.Equal(("acme", 3), (full.Tenant, full.MaxWaiting));
        Assert.Equal(2, (await store.JobsInsertAsync(new JobsInsertParams([Job(null), Job(null)]) { TenantBound = bound }, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_version_5_database_is_upgraded_by_migration_0006_and_its_running_jobs_can_store_steps_and_ask()
    {
        var path = _factory.NewLocation();
        using (var v5 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v5.Open();
            using var create = v5.CreateCommand();
            create.CommandText = "CREATE TABLE conveyor_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);" +
                string.Concat(SqliteJobStore.Migrations.Where(m => m.Version <= 5).Select(m => m.Sql + $";\nINSERT INTO conveyor_schema VALUES ({m.Version}, '{m.Name}', 0);\n")) +
                "INSERT INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, tenant, user_id, created_at, updated_at) " +
                "VALUES ('k', 'default', 1, 2, '{}', 0, 0, 3, 'acme', 'ada', 0, 0);";
            create.ExecuteNonQuery();
        }

        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(1, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'interactions_deadline'"));
        var claimed = Assert.Single(await store.JobsClaimAsync(new JobsClaimParams("default", 1, "w", TimeSpan.FromMinutes(1)), CancellationToken.None));
        var lease = new JobLease(claimed.Id, claimed.LeaseToken);
        Assert.True(await store.JobStepSaveAsync(new JobStepSaveParams(lease, "one", "1"), CancellationToken.None));
        Assert.Equal(JobSuspendOutcome.Suspended, await store.JobSuspendAsync(new JobSuspendParams
        {
            Lease = lease, Key = "q", PromptJson = new InteractionPrompt("t", [InteractionQuestion.Text("a", "a")]).ToJson(),
            Timeout = TimeSpan.FromHours(1), TimeoutPolicy = InteractionTimeoutPolicy.Fail,
        }, CancellationToken.None));
        var question = Assert.Single((await store.InteractionsListAsync(new InteractionQuery { Tenant = "acme", User = "ada" }, CancellationToken.None)).Interactions);
        Assert.Equal(InteractionAnswerOutcome.Answered, await store.InteractionAnswerAsync(new InteractionAnswerParams(question.Id, """{"a":"x"}""", "ada"), CancellationToken.None));
    }

    [Fact]
    public async Task A_version_7_database_is_upgraded_by_migration_0008_and_its_jobs_have_no_schedule_until_one_fires()
    {
        var path = _factory.NewLocation();
        using (var v7 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v7.Open();
            using var create = v7.CreateCommand();
            create.CommandText = "CREATE TABLE conveyor_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);" +
                string.Concat(SqliteJobStore.Migrations.Where(m => m.Version <= 7).Select(m => m.Sql + $";\nINSERT INTO conveyor_schema VALUES ({m.Version}, '{m.Name}', 0);\n")) +
                "INSERT INTO jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, tenant, created_at, updated_at) " +
                "VALUES ('k', 'default', 1, 2, '{}', 0, 0, 3, '', 0, 0);";
            create.ExecuteNonQuery();
        }

        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(1, Scalar(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'schedules_due'"));
        Assert.Null(Assert.Single((await store.JobsListAsync(new JobQuery(), CancellationToken.None)).Jobs).Schedule);
        var definition = new ScheduleDefinition { Name = "s", Cron = "* * * * *", Kind = "k", Payload = "{}" };
        var stored = await store.ScheduleUpsertAsync(new ScheduleUpsertParams(definition, ScheduleSource.Api, DateTimeOffset.UnixEpoch), CancellationToken.None);
        var job = new NewJob { Kind = "k", Queue = "default", Payload = "{}", MaxAttempts = 1, Principal = JobPrincipal.System };
        var fired = await store.ScheduleFireAsync(new ScheduleFireParams { Name = "s", Expected = stored.NextFireAt!.Value, Next = DateTimeOffset.UnixEpoch.AddMinutes(1), Ticks = [DateTimeOffset.UnixEpoch], Job = job }, CancellationToken.None);
        Assert.Equal("s", (await store.JobGetAsync(Assert.Single(fired.JobIds), CancellationToken.None))!.Schedule);
    }

    private static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }

    private static string Text(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }
}
