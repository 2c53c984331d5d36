using Conveyor.Postgres;
using Conveyor.StoreTests.Infrastructure;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>Versioned migrations of the PostgreSQL store: once under an advisory lock, and refusing a newer schema.</summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresMigrationTests : IAsyncLifetime
{
    private readonly PostgresStoreFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Ten_stores_migrating_one_schema_at_once_apply_each_migration_exactly_once()
    {
        var schema = _factory.NewLocation();
        var stores = Enumerable.Range(0, 10).Select(_ => _factory.Open(schema)).ToList();

        // Each migration creates its tables without IF NOT EXISTS: a second application would fail.
        await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(CancellationToken.None))));

        Assert.Equal(PostgresJobStore.Migrations[^1].Version, await stores[0].SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(PostgresJobStore.Migrations.Count, await ScalarAsync($"SELECT count(*) FROM \"{schema}\".conveyor_schema"));
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused_with_a_clear_message()
    {
        var schema = _factory.NewLocation();
        await _factory.Open(schema).MigrateAsync(CancellationToken.None);
        await ScalarAsync($"INSERT INTO \"{schema}\".conveyor_schema (version, name, applied_at) VALUES (99, '0099_future', now())");

        var error = await Assert.ThrowsAsync<ConveyorException>(() => _factory.Open(schema).MigrateAsync(CancellationToken.None));

        Assert.Contains($"'{schema}' has Conveyor schema version 99, newer than this build knows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schema_created_by_an_earlier_run_keeps_its_jobs_and_a_fresh_database_reports_version_zero()
    {
        var schema = _factory.NewLocation();
        Assert.Equal(0, await _factory.Open(schema).SchemaVersionAsync(CancellationToken.None));
        var first = _factory.Open(schema);
        await first.MigrateAsync(CancellationToken.None);
        var id = (await first.JobsInsertAsync(new JobsInsertParams([new NewJob { Kind = "k", Queue = "default", Payload = "{}", MaxAttempts = 1, Principal = JobPrincipal.System }]), CancellationToken.None))[0].JobId;
        await first.DisposeAsync();

        var second = _factory.Open(schema);
        await second.MigrateAsync(CancellationToken.None);

        Assert.Equal(JobState.Pending, (await second.JobGetAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Migration_tunes_autovacuum_on_the_jobs_table()
    {
        var schema = _factory.NewLocation();
        await _factory.Open(schema).MigrateAsync(CancellationToken.None);

        var options = await ScalarAsync<string[]>($"SELECT reloptions FROM pg_class WHERE oid = '\"{schema}\".jobs'::regclass");

        Assert.Contains("autovacuum_vacuum_scale_factor=0.01", options);
    }

    [Fact]
    public async Task A_version_2_schema_is_upgraded_by_migration_0003_and_its_jobs_gain_an_empty_traceparent_and_api_keys()
    {
        var schema = _factory.NewLocation();
        await using (var connection = new NpgsqlConnection(_factory.ConnectionString))
        {
            await connection.OpenAsync();
            var sql = $"CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".conveyor_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL);" +
                string.Concat(PostgresJobStore.Migrations.Where(m => m.Version <= 2).Select(m =>
                    m.Sql.Replace("{schema_name}", schema, StringComparison.Ordinal).Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal) +
                    $";\nINSERT INTO \"{schema}\".conveyor_schema VALUES ({m.Version}, '{m.Name}', now());\n")) +
                $"INSERT INTO \"{schema}\".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, created_at, updated_at) " +
                "VALUES ('k', 'default', 1, 2, '{}', now() - interval '1 minute', now() - interval '1 minute', 3, now(), now());" +
                $"INSERT INTO \"{schema}\".job_events (job_id, at, kind, attempt) SELECT id, now(), 0, 0 FROM \"{schema}\".jobs;";
            await using var create = new NpgsqlCommand(sql, connection);
            await create.ExecuteNonQueryAsync();
        }

        var store = _factory.Open(schema);
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(PostgresJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(1L, await ScalarAsync($"SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema}' AND indexname = 'jobs_awaiting'"));
        var claimed = Assert.Single(await store.JobsClaimAsync(new JobsClaimParams("default", 1, "w", TimeSpan.FromMinutes(1)), CancellationToken.None));
        Assert.Null(claimed.TraceParent);
        Assert.Equal([(claimed.Id, "default")], (await store.EventsFeedAsync(new EventsFeedParams(0, 10), CancellationToken.None)).Select(f => (f.Event.JobId, f.Queue)).Distinct());
        await store.ApiKeyInsertAsync(new ApiKeyRecord { Id = "k", SecretHash = "h", Name = "n", User = "u", Roles = ["r"] }, CancellationToken.None);
        Assert.Equal(["r"], Assert.Single(await store.ApiKeysListAsync(CancellationToken.None)).Roles);
    }

    [Fact]
    public async Task A_version_3_schema_is_upgraded_by_migration_0004_and_its_waiting_jobs_count_toward_their_tenants_bound()
    {
        var schema = _factory.NewLocation();
        await using (var connection = new NpgsqlConnection(_factory.ConnectionString))
        {
            await connection.OpenAsync();
            // Two waiting jobs of tenant acme (one scheduled), one running one of acme, one waiting job of the default tenant.
            var sql = $"CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".conveyor_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL);" +
                string.Concat(PostgresJobStore.Migrations.Where(m => m.Version <= 3).Select(m =>
                    m.Sql.Replace("{schema_name}", schema, StringComparison.Ordinal).Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal) +
                    $";\nINSERT INTO \"{schema}\".conveyor_schema VALUES ({m.Version}, '{m.Name}', now());\n")) +
                $"INSERT INTO \"{schema}\".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, tenant, created_at, updated_at) VALUES " +
                "('k', 'default', 1, 2, '{}', now(), now(), 3, 'acme', now(), now()), ('k', 'default', 1, 2, '{}', now() + interval '1 day', now(), 3, 'acme', now(), now()), " +
                "('k', 'default', 2, 2, '{}', now(), now(), 3, 'acme', now(), now()), ('k', 'default', 1, 2, '{}', now(), now(), 3, '', now(), now());";
            await using var create = new NpgsqlCommand(sql, connection);
            await create.ExecuteNonQueryAsync();
        }

        var store = _factory.Open(schema);
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(PostgresJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(1L, await ScalarAsync($"SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema}' AND indexname = 'jobs_tenant_waiting'"));
        var bound = new TenantBound(3, TimeSpan.FromSeconds(1));
        NewJob Job(string? tenant) => new() { Kind = "k", Queue = "default", Payload = "{}", MaxAttempts = 1, Principal = new JobPrincipal(null, tenant, []) };
        Assert.Single(await store.JobsInsertAsync(new JobsInsertParams([Job("acme")]) { TenantBound = bound }, CancellationToken.None));
        var full = await Assert.ThrowsAsync<TenantFullException>(() => store.JobsInsertAsync(new JobsInsertParams([Job("acme")]) { TenantBound = bound }, CancellationToken.None));
        Assert.Equal(("acme", 3), (full.Tenant, full.MaxWaiting));
        Assert.Equal(2, (await store.JobsInsertAsync(new JobsInsertParams([Job(null), Job(null)]) { TenantBound = bound }, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_version_4_schema_is_upgraded_by_migration_0005_and_its_running_jobs_can_store_steps_and_ask()
    {
        var schema = _factory.NewLocation();
        await using (var connection = new NpgsqlConnection(_factory.ConnectionString))
        {
            await connection.OpenAsync();
            var sql = $"CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".conveyor_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL);" +
                string.Concat(PostgresJobStore.Migrations.Where(m => m.Version <= 4).Select(m =>
                    m.Sql.Replace("{schema_name}", schema, StringComparison.Ordinal).Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal) +
                    $";\nINSERT INTO \"{schema}\".conveyor_schema VALUES ({m.Version}, '{m.Name}', now());\n")) +
                $"INSERT INTO \"{schema}\".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, tenant, user_id, created_at, updated_at) VALUES " +
                "('k', 'default', 1, 2, '{}', now(), now(), 3, 'acme', 'ada', now(), now());";
            await using var create = new NpgsqlCommand(sql, connection);
            await create.ExecuteNonQueryAsync();
        }

        var store = _factory.Open(schema);
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(PostgresJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(1L, await ScalarAsync($"SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema}' AND indexname = 'interactions_deadline'"));
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
    public async Task A_version_6_schema_is_upgraded_by_migration_0007_and_its_jobs_have_no_schedule_until_one_fires()
    {
        var schema = _factory.NewLocation();
        await using (var connection = new NpgsqlConnection(_factory.ConnectionString))
        {
            await connection.OpenAsync();
            var sql = $"CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".conveyor_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL);" +
                string.Concat(PostgresJobStore.Migrations.Where(m => m.Version <= 6).Select(m =>
                    m.Sql.Replace("{schema_name}", schema, StringComparison.Ordinal).Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal) +
                    $";\nINSERT INTO \"{schema}\".conveyor_schema VALUES ({m.Version}, '{m.Name}', now());\n")) +
                $"INSERT INTO \"{schema}\".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts, tenant, created_at, updated_at) VALUES " +
                "('k', 'default', 1, 2, '{}', now(), now(), 3, '', now(), now());";
            await using var create = new NpgsqlCommand(sql, connection);
            await create.ExecuteNonQueryAsync();
        }

        var store = _factory.Open(schema);
        await store.MigrateAsync(CancellationToken.None);

        Assert.Equal(PostgresJobStore.Migrations[^1].Version, await store.SchemaVersionAsync(CancellationToken.None));
        Assert.Null(Assert.Single((await store.JobsListAsync(new JobQuery(), CancellationToken.None)).Jobs).Schedule);
        var definition = new ScheduleDefinition { Name = "s", Cron = "* * * * *", Kind = "k", Payload = "{}" };
        var stored = await store.ScheduleUpsertAsync(new ScheduleUpsertParams(definition, ScheduleSource.Api, DateTimeOffset.UnixEpoch), CancellationToken.None);
        var job = new NewJob { Kind = "k", Queue = "default", Payload = "{}", MaxAttempts = 1, Principal = JobPrincipal.System };
        var fired = await store.ScheduleFireAsync(new ScheduleFireParams { Name = "s", Expected = stored.NextFireAt!.Value, Next = DateTimeOffset.UnixEpoch.AddMinutes(1), Ticks = [DateTimeOffset.UnixEpoch], Job = job }, CancellationToken.None);
        Assert.Equal("s", (await store.JobGetAsync(Assert.Single(fired.JobIds), CancellationToken.None))!.Schedule);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("quote\"d")]
    [InlineData("1starts_with_a_digit")]
    public void A_schema_name_that_is_not_a_plain_identifier_is_refused(string schema)
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgresJobStore(new PostgresStoreOptions { ConnectionString = _factory.ConnectionString, Schema = schema }));

        Assert.Contains("Schema:", error.Message, StringComparison.Ordinal);
    }

    private Task<long> ScalarAsync(string sql) => ScalarAsync<long>(sql);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() is T value ? value : default!;
    }
}
