using Conveyor.Storage;

namespace Conveyor.Cli.Tests.StoreCopy;

/// <summary>
/// <c>conveyor store copy</c> on real databases, both ways: a deployment's whole state built through one store, copied
/// by the command in-process, then read back through the other store's API item by item, run on by a real host, and
/// added to without an id collision.
/// </summary>
public sealed class StoreCopyTests : IAsyncLifetime
{
    private readonly CopyStores _stores = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _stores.DisposeAsync();

    private static string Pg => $"postgres:{CopyStores.ConnectionString}";

    [Fact]
    public async Task Sqlite_to_postgres_moves_every_job_history_step_question_key_and_queue()
    {
        var path = _stores.NewSqlitePath();
        var source = await _stores.SqliteAsync(path);
        var ids = await CopyScenario.PopulateAsync(source);
        var expected = await CopyScenario.SnapshotAsync(source, ids);
        await source.DisposeAsync();   // the deployment is stopped before the copy

        var schema = _stores.NewSchema();
        var result = (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", schema])).AssertSuccess();
        Assert.Contains($", schema {schema}: migrated the schema from version 0 to ", result.Out, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^jobs\s+10\s+10\s+10\s+10$", result.Out);
        Assert.Matches(@"(?m)^interactions\s+2\s+2\s+2\s+2$", result.Out);
        Assert.Contains("every table's count and largest id match", result.OutLines[^1], StringComparison.Ordinal);

        var destination = await _stores.PostgresAsync(schema, migrate: false);
        Assert.Equal(expected, await CopyScenario.SnapshotAsync(destination, ids));
        await AssertNewIdsFollowTheCopiedAsync(destination, ids);
        var ran = await CopyScenario.RunPendingJobAsync(o => o.UsePostgres(CopyStores.ConnectionString, p => p.Schema = schema), destination, ids[0]);
        Assert.Equal(JobState.Succeeded, ran.State);
        Assert.Equal("""{"echoed":"after the move"}""", ran.Result);
    }

    [Fact]
    public async Task Postgres_to_sqlite_moves_every_job_history_step_question_key_and_queue()
    {
        var schema = _stores.NewSchema();
        var source = await _stores.PostgresAsync(schema);
        var ids = await CopyScenario.PopulateAsync(source);
        var expected = await CopyScenario.SnapshotAsync(source, ids);
        await source.DisposeAsync();

        var path = _stores.NewSqlitePath();
        var result = await CliServer.Run(["store", "copy", "--from", Pg, "--from-schema", schema, "--to", $"sqlite:{path}", "--json"]);
        var report = result.AssertSuccess().Json();
        Assert.Equal(0, report.GetProperty("schemaVersionBefore").GetInt32());
        var jobs = report.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "jobs");
        Assert.Equal(10, jobs.GetProperty("sourceRows").GetInt64());
        Assert.Equal(10, jobs.GetProperty("copiedRows").GetInt64());
        Assert.Equal(ids.Max(), jobs.GetProperty("copiedMaxId").GetInt64());
        Assert.Contains("leaders", report.GetProperty("skipped").EnumerateArray().Select(s => s.GetString()));

        var destination = await _stores.SqliteAsync(path, migrate: false);
        Assert.Equal(expected, await CopyScenario.SnapshotAsync(destination, ids));
        await AssertNewIdsFollowTheCopiedAsync(destination, ids);
        var ran = await CopyScenario.RunPendingJobAsync(o => o.UseSqlite(path), destination, ids[0]);
        Assert.Equal(JobState.Succeeded, ran.State);
    }

    [Fact]
    public async Task A_round_trip_sqlite_to_postgres_to_sqlite_gives_back_the_same_rows()
    {
        var first = _stores.NewSqlitePath();
        var source = await _stores.SqliteAsync(first);
        await CopyScenario.PopulateAsync(source);
        await source.DisposeAsync();

        var schema = _stores.NewSchema();
        var second = _stores.NewSqlitePath();
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{first}", "--to", Pg, "--to-schema", schema])).AssertSuccess();
        (await CliServer.Run(["store", "copy", "--from", Pg, "--from-schema", schema, "--to", $"sqlite:{second}"])).AssertSuccess();

        var before = await CopyScenario.SqliteRowsAsync(first);
        Assert.Equal(before, await CopyScenario.SqliteRowsAsync(second));
        Assert.Contains(before, r => r.StartsWith("jobs ", StringComparison.Ordinal) && r.Contains("cancel_requested=0 (Int64)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ids_the_source_handed_out_to_purged_rows_are_not_handed_out_again()
    {
        var path = _stores.NewSqlitePath();
        var source = await _stores.SqliteAsync(path);
        var ids = await CopyScenario.PopulateAsync(source);
        await source.DisposeAsync();
        // As a purge leaves it: the newest job gone, its id still counted in sqlite_sequence.
        await CopyStores.SqliteExecAsync(path, $"DELETE FROM jobs WHERE id = {ids.Max()}; DELETE FROM job_events WHERE job_id = {ids.Max()}");
        var schema = _stores.NewSchema();
        var result = (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", schema])).AssertSuccess();
        Assert.Matches($@"(?m)^jobs\s+9\s+9\s+{ids.Max() - 1}\s+{ids.Max() - 1}$", result.Out);

        var destination = await _stores.PostgresAsync(schema, migrate: false);
        var added = Assert.Single(await destination.JobsInsertAsync(new JobsInsertParams([new NewJob
        {
            Kind = "after", Queue = "fresh", Payload = "{}", MaxAttempts = 1, Principal = new JobPrincipal("bob", null, []),
        }]), CancellationToken.None));
        Assert.Equal(ids.Max() + 1, added.JobId);
    }

    [Fact]
    public async Task A_destination_that_holds_jobs_is_refused_and_left_as_it_was()
    {
        var path = _stores.NewSqlitePath();
        var source = await _stores.SqliteAsync(path);
        await CopyScenario.PopulateAsync(source);
        await source.DisposeAsync();
        var schema = _stores.NewSchema();
        var destination = await _stores.PostgresAsync(schema);
        var held = Assert.Single(await destination.JobsInsertAsync(new JobsInsertParams([new NewJob
        {
            Kind = "mine", Queue = "default", Payload = "{}", MaxAttempts = 1, Principal = new JobPrincipal("bob", null, []),
        }]), CancellationToken.None)).JobId;

        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", schema])).AssertError(ExitCodes.Failure,
            $"conveyor: postgres:127.0.0.1:");
        var error = (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", schema])).Error;
        Assert.EndsWith($", schema {schema} already holds data (jobs: 1, job_events: 1); store copy fills an empty store only, it never merges", error.Trim(), StringComparison.Ordinal);
        var page = await destination.JobsListAsync(new JobQuery(), CancellationToken.None);
        Assert.Equal(held, Assert.Single(page.Jobs).Id);
    }

    [Fact]
    public async Task A_store_at_another_schema_version_is_refused()
    {
        // The source one migration behind this build: it must be migrated first.
        var path = _stores.NewSqlitePath();
        await (await _stores.SqliteAsync(path)).DisposeAsync();
        await CopyStores.SqliteExecAsync(path, "DELETE FROM conveyor_schema WHERE version = (SELECT max(version) FROM conveyor_schema)");
        // Migration numbers may have gaps (branches number theirs apart), so the previous version is read, not computed.
        var previous = Convert.ToInt32(await CopyStores.SqliteExecAsync(path, "SELECT max(version) FROM conveyor_schema"), System.Globalization.CultureInfo.InvariantCulture);
        var latest = Conveyor.Sqlite.SqliteJobStore.LatestSchemaVersion;
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", _stores.NewSchema()])).AssertError(ExitCodes.Failure,
            $"conveyor: sqlite:{path} is at schema version {previous}, this build's is {latest}: run 'conveyor migrate' on it first");

        // A destination newer than this build.
        var current = _stores.NewSqlitePath();
        await (await _stores.SqliteAsync(current)).DisposeAsync();
        var schema = _stores.NewSchema();
        await _stores.PostgresAsync(schema);
        await CopyStores.PostgresExecAsync($"INSERT INTO \"{schema}\".conveyor_schema (version, name, applied_at) VALUES (999, 'future', now())");
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{current}", "--to", Pg, "--to-schema", schema])).AssertError(ExitCodes.Failure,
            $"conveyor: postgres:127.0.0.1:");
        var error = (await CliServer.Run(["store", "copy", "--from", $"sqlite:{current}", "--to", Pg, "--to-schema", schema])).Error;
        Assert.Contains($", schema {schema} is at schema version 999, newer than this build's", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_this_build_does_not_know_stops_the_copy()
    {
        var path = _stores.NewSqlitePath();
        await (await _stores.SqliteAsync(path)).DisposeAsync();
        await CopyStores.SqliteExecAsync(path, "CREATE TABLE mystery (id INTEGER PRIMARY KEY)");
        var schema = _stores.NewSchema();
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", schema])).AssertError(ExitCodes.Failure,
            $"conveyor: table mystery of sqlite:{path} is not one this build knows how to copy");
        // Refused before the destination was touched: not even its schema was created.
        var destination = await _stores.PostgresAsync(schema, migrate: false);
        Assert.Equal(0, await destination.SchemaVersionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Columns_come_from_both_schemas_a_one_sided_one_is_named_and_an_unconvertible_type_is_refused()
    {
        var schema = _stores.NewSchema();
        var source = await _stores.PostgresAsync(schema);
        var ids = await CopyScenario.PopulateAsync(source);
        await source.DisposeAsync();
        // A column a later migration might add to one store only: the copy moves the others and says what it left.
        await CopyStores.PostgresExecAsync($"ALTER TABLE \"{schema}\".jobs ADD COLUMN only_here text DEFAULT 'x'");
        var path = _stores.NewSqlitePath();
        var result = (await CliServer.Run(["store", "copy", "--from", Pg, "--from-schema", schema, "--to", $"sqlite:{path}"])).AssertSuccess();
        Assert.Contains("not copied: column jobs.only_here exists on one side only", result.OutLines);
        Assert.Equal(ids.Count, (await (await _stores.SqliteAsync(path, migrate: false)).JobsListAsync(new JobQuery { Limit = 100 }, CancellationToken.None)).Jobs.Count);

        // The same column on both sides, but of a type the copier has no conversion for.
        await CopyStores.PostgresExecAsync($"ALTER TABLE \"{schema}\".jobs DROP COLUMN only_here; ALTER TABLE \"{schema}\".jobs ADD COLUMN spot point");
        var other = _stores.NewSqlitePath();
        await (await _stores.SqliteAsync(other)).DisposeAsync();
        await CopyStores.SqliteExecAsync(other, "ALTER TABLE jobs ADD COLUMN spot TEXT");
        (await CliServer.Run(["store", "copy", "--from", Pg, "--from-schema", schema, "--to", $"sqlite:{other}"])).AssertError(ExitCodes.Failure,
            "conveyor: column jobs.spot has the type point, which store copy cannot convert");
    }

    [Fact]
    public async Task A_value_too_wide_for_its_postgres_column_stops_the_copy_and_names_the_column()
    {
        var path = _stores.NewSqlitePath();
        var source = await _stores.SqliteAsync(path);
        var ids = await CopyScenario.PopulateAsync(source);
        await source.DisposeAsync();
        // SQLite integers have no width; PostgreSQL's priority is a smallint.
        await CopyStores.SqliteExecAsync(path, $"UPDATE jobs SET priority = 40000 WHERE id = {ids[2]}");
        var schema = _stores.NewSchema();
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", schema])).AssertError(ExitCodes.Failure,
            "conveyor: jobs.priority: the value 40000 does not fit the smallint column of postgres:127.0.0.1:");
        // All or nothing: the tables copied before jobs were rolled back too.
        var destination = await _stores.PostgresAsync(schema, migrate: false);
        Assert.Empty(await destination.QueuesListAsync(CancellationToken.None));
        Assert.Empty(await destination.ApiKeysListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_hundred_thousand_jobs_are_streamed_across_and_counted()
    {
        var path = _stores.NewSqlitePath();
        var source = await _stores.SqliteAsync(path);
        var principal = new JobPrincipal("ada", null, []);
        for (var batch = 0; batch < 100; batch++)
        {
            await source.JobsInsertAsync(new JobsInsertParams([.. Enumerable.Range(0, 1000).Select(i => new NewJob
            {
                Kind = "bulk", Queue = "bulk", Payload = $$"""{"n":{{batch * 1000 + i}}}""", MaxAttempts = 1, Principal = principal,
            })]), CancellationToken.None);
        }
        await source.DisposeAsync();

        var schema = _stores.NewSchema();
        var report = (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", schema, "--json"])).AssertSuccess().Json();
        Assert.Equal(200_000, report.GetProperty("rows").GetInt64());   // each job and its enqueued event
        var destination = await _stores.PostgresAsync(schema, migrate: false);
        var queue = Assert.Single(await destination.QueuesListAsync(CancellationToken.None), q => q.Name == "bulk");
        Assert.Equal(100_000, queue.Pending);
        var job = await destination.JobGetAsync(100_000, CancellationToken.None);
        Assert.Equal("""{"n":99999}""", job!.Payload);
    }

    [Fact]
    public async Task Bad_or_unreachable_stores_get_one_line_and_their_exit_code()
    {
        var missing = Path.Combine(_stores.Directory, "missing.db");
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{missing}", "--to", Pg])).AssertError(ExitCodes.Unreachable, $"conveyor: cannot open sqlite:{missing}: no such file");
        Assert.False(File.Exists(missing));
        var path = _stores.NewSqlitePath();
        await (await _stores.SqliteAsync(path)).DisposeAsync();
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", "postgres:Host=127.0.0.1;Port=1;Username=x;Timeout=2"])).AssertError(ExitCodes.Unreachable,
            "conveyor: cannot reach postgres:127.0.0.1:1/?, schema conveyor");
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", "mysql:x"])).AssertError(ExitCodes.Usage,
            "conveyor: --to: 'mysql:x' is neither sqlite:<path> nor postgres:<connection string>");
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", $"sqlite:{path}.copy"])).AssertError(ExitCodes.Usage,
            "conveyor: store copy moves between SQLite and PostgreSQL");
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--to", Pg, "--to-schema", "no-dashes"])).AssertError(ExitCodes.Usage,
            "conveyor: --to-schema: 'no-dashes' is not a plain identifier");
        (await CliServer.Run(["store", "copy", "--from", $"sqlite:{path}", "--from-schema", "s", "--to", Pg])).AssertError(ExitCodes.Usage,
            "conveyor: --from-schema: a SQLite store has no schema");
        (await CliServer.Run(["store", "copy", "--to", Pg])).AssertError(ExitCodes.Usage, "conveyor: option '--from' is required");
    }

    /// <summary>A job, its events and a question added on the destination get ids above every copied one.</summary>
    private static async Task AssertNewIdsFollowTheCopiedAsync(IJobStore destination, IReadOnlyList<long> ids)
    {
        var none = CancellationToken.None;
        var latestEvent = await destination.EventsLatestIdAsync(none);
        var latestQuestion = (await destination.InteractionsListAsync(new InteractionQuery(), none)).Interactions.Max(i => i.Id);
        var added = Assert.Single(await destination.JobsInsertAsync(new JobsInsertParams([new NewJob
        {
            Kind = "ask", Queue = "fresh", Payload = "{}", MaxAttempts = 1, Principal = new JobPrincipal("bob", null, []),
        }]), none));
        Assert.True(added.JobId > ids.Max(), $"new job {added.JobId} should follow the copied {ids.Max()}");
        Assert.True(await destination.EventsLatestIdAsync(none) > latestEvent);
        var claimed = Assert.Single(await destination.JobsClaimAsync(new JobsClaimParams("fresh", 1, "w", TimeSpan.FromMinutes(5)), none));
        Assert.Equal(JobSuspendOutcome.Suspended, await destination.JobSuspendAsync(new JobSuspendParams
        {
            Lease = new JobLease(claimed.Id, claimed.LeaseToken), Key = "k", PromptJson = new InteractionPrompt("?", [InteractionQuestion.Confirm("go", "Go?")]).ToJson(),
            Timeout = TimeSpan.FromMinutes(5), TimeoutPolicy = new InteractionTimeoutPolicy(InteractionTimeoutAction.Fail),
        }, none));
        var question = Assert.Single((await destination.InteractionsListAsync(new InteractionQuery { JobId = claimed.Id }, none)).Interactions);
        Assert.True(question.Id > latestQuestion, $"new question {question.Id} should follow the copied {latestQuestion}");
    }
}
