using Conveyor.Postgres;
using Conveyor.StoreTests.Infrastructure;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// The store prepares its statements (Npgsql's auto-prepare), and PostgreSQL then may keep one generic plan per
/// statement, made whenever it was first needed: possibly while the table was empty, or analyzed while empty. These
/// tests make those plans on an empty table through the store's own pool (its session settings, its SQL), fill the
/// table with 50,000 jobs, and read the plans PostgreSQL kept (<c>EXPLAIN EXECUTE</c> under
/// <c>force_generic_plan</c>, which reuses the cached generic plan): none may read the whole table. The plans are
/// read twice, on the empty table and after the fill: any DDL in the database (another test's CREATE SCHEMA) drops
/// every cached plan, so only the first reading is sure to show a plan costed on the empty table; the second shows
/// what the statement runs on the full one (the same plan, unless it was dropped and made again).
/// </summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresPreparedPlanTests : PostgresStoreTestBase
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Plans_prepared_on_an_empty_table_keep_their_index_paths_once_it_fills(bool analyzedWhileEmpty)
    {
        var (empty, full) = await PlansMadeWhileEmptyAsync(analyzedWhileEmpty, extraConnectionString: "");

        AssertSafe(empty);
        AssertSafe(full);
    }

    private static void AssertSafe(Dictionary<string, string> plans)
    {
        // No plan reads all of jobs or job_events ("Seq Scan on job" matches both).
        foreach (var (name, plan) in plans)
            Assert.False(plan.Contains("Seq Scan on job", StringComparison.Ordinal), $"{name}:\n{plan}");
        // The claim reads the head of jobs_claim once and updates the locked rows by primary key.
        Assert.Equal(1, Count(plans["JobsClaim"], "jobs_claim"));
        Assert.Contains("jobs_pkey", plans["JobsClaim"], StringComparison.Ordinal);
        // Fences on rows found by id never read every running (jobs_lease), failed (jobs_failed) or finished job.
        foreach (var name in new[] { "JobsComplete", "JobsCompletePlain", "JobsHeartbeat", "LogAppend", "JobRequeue" })
        {
            Assert.Contains("jobs_pkey", plans[name], StringComparison.Ordinal);
            Assert.False(plans[name].Contains("jobs_lease", StringComparison.Ordinal), $"{name}:\n{plans[name]}");
            Assert.False(plans[name].Contains("jobs_failed", StringComparison.Ordinal), $"{name}:\n{plans[name]}");
        }
        // Every job read by primary key is looked up by key: no plan walks all of jobs_pkey (a path offered for its
        // order, which enable_seqscan = off does not price out; a join on "j.id = x.job_id" took it on an empty table).
        foreach (var (name, plan) in plans)
        {
            var lines = plan.Split('\n');
            for (var i = 0; i < lines.Length - 1; i++)
            {
                if (lines[i].Contains("Scan using jobs_pkey on", StringComparison.Ordinal))
                    Assert.True(lines[i + 1].TrimStart().StartsWith("Index Cond:", StringComparison.Ordinal), $"{name}:\n{plan}");
            }
        }
        // A batch of leases loops over its elements in their order (id order: the order it locks the rows in, so that
        // batches sharing jobs never deadlock) and finds each job by primary key, the element's id its index
        // condition; never testing rows against every element (a join filter): that made a completion of 100 jobs take
        // 5 ms instead of 1, and on a plan made while the table was empty read every job.
        foreach (var name in new[] { "JobsComplete", "JobsCompletePlain", "JobsHeartbeat" })
        {
            Assert.True(plans[name].Contains("Index Cond: (id = ANY (ARRAY[", StringComparison.Ordinal), $"{name}:\n{plans[name]}");
            Assert.False(plans[name].Contains("Join Filter", StringComparison.Ordinal), $"{name}:\n{plans[name]}");
        }
        // The reaper looks its candidates up in jobs_lease (expired leases only) and updates them by primary key.
        Assert.Equal(1, Count(plans["JobsReap"], "jobs_lease"));
        Assert.Contains("jobs_pkey", plans["JobsReap"], StringComparison.Ordinal);
        // The purge: one range of jobs_finished per state, then by primary key.
        Assert.Equal(3, Count(plans["JobsPurge"], "jobs_finished"));
        Assert.Contains("jobs_pkey", plans["JobsPurge"], StringComparison.Ordinal);
        Assert.Contains("job_events_job", plans["JobsPurge"], StringComparison.Ordinal);
        // Queue counts read the partial index of each counted state, never finished jobs; the feed takes one range of the
        // history's primary key and finds each job by its own, never reading every job.
        foreach (var index in new[] { "jobs_claim", "jobs_lease", "jobs_awaiting", "jobs_failed" })
            Assert.Contains(index, plans["QueuesList"], StringComparison.Ordinal);
        Assert.True(plans["EventsFeed"].Contains("job_events_pkey", StringComparison.Ordinal), plans["EventsFeed"]);
        Assert.Contains("jobs_pkey", plans["EventsFeed"], StringComparison.Ordinal);
        Assert.False(plans["EventsFeed"].Contains("job_events_job", StringComparison.Ordinal), plans["EventsFeed"]);
        // Human input: a step is fenced by primary key; an answer finds its question and its job by primary key; the
        // time-out sweep reads only pending questions past their deadline (interactions_deadline), never every question.
        Assert.Contains("jobs_pkey", plans["StepSave"], StringComparison.Ordinal);
        Assert.Contains("interactions_pkey", plans["InteractionAnswer"], StringComparison.Ordinal);
        Assert.Contains("jobs_pkey", plans["InteractionAnswer"], StringComparison.Ordinal);
        Assert.Contains("interactions_deadline", plans["InteractionsExpire"], StringComparison.Ordinal);
        foreach (var name in new[] { "InteractionAnswer", "InteractionsExpire" })
            Assert.False(plans[name].Contains("Seq Scan on interactions", StringComparison.Ordinal), $"{name}:\n{plans[name]}");
        // The bounds' counts inside an insert: a range of jobs_claim per queue, of jobs_tenant_waiting per tenant.
        Assert.True(plans["QueuesWaitingCount"].Contains("jobs_claim", StringComparison.Ordinal), plans["QueuesWaitingCount"]);
        Assert.True(plans["TenantsWaitingCount"].Contains("Index Only Scan using jobs_tenant_waiting", StringComparison.Ordinal), plans["TenantsWaitingCount"]);
        Assert.True(plans["TenantsWaitingCount"].Contains("Index Cond: (tenant = ", StringComparison.Ordinal), plans["TenantsWaitingCount"]);
        // The limited claim: candidates from the head of jobs_claim; admission counts a key's running jobs in
        // jobs_limit_running and its starts in limit_starts_key, and claims by primary key.
        Assert.True(plans["LimitedCandidates"].Contains("using jobs_claim", StringComparison.Ordinal), plans["LimitedCandidates"]);
        foreach (var index in new[] { "jobs_limit_running", "limit_starts_key", "jobs_pkey" })
            Assert.True(plans["LimitedClaim"].Contains($"using {index}", StringComparison.Ordinal), plans["LimitedClaim"]);
        // A unique key's lookup: one range of jobs_unique (migration 0009).
        Assert.True(plans["UniqueFind"].Contains("jobs_unique", StringComparison.Ordinal), plans["UniqueFind"]);
        // No other statement reads the tenants' index (its predicate keeps it out of reach: migration 0004).
        foreach (var (name, plan) in plans.Where(p => p.Key != "TenantsWaitingCount"))
            Assert.False(plan.Contains("jobs_tenant_waiting", StringComparison.Ordinal), $"{name}:\n{plan}");
    }

    [Fact]
    public async Task Without_the_stores_session_settings_the_claim_prepared_on_an_empty_table_reads_the_whole_table()
    {
        // The hazard the settings exist for, shown with the same steps: the test above would fail without them.
        var (empty, _) = await PlansMadeWhileEmptyAsync(analyzedWhileEmpty: true, extraConnectionString: ";Options=-c enable_seqscan=on");

        Assert.Contains("Seq Scan on jobs", empty["JobsClaim"], StringComparison.Ordinal);
    }

    /// <summary>Statement name → the generic plan PostgreSQL made for it while the table was empty, read then and after it filled.</summary>
    private async Task<(Dictionary<string, string> Empty, Dictionary<string, string> Full)> PlansMadeWhileEmptyAsync(bool analyzedWhileEmpty, string extraConnectionString)
    {
        await using var admin = new NpgsqlConnection(Factory.ConnectionString);
        await admin.OpenAsync();
        // No autovacuum: its analyze would invalidate the plans under test and let them be made again on full statistics.
        await ExecAsync(admin, $"""ALTER TABLE "{Store.Schema}".jobs SET (autovacuum_enabled = false)""" +
                               (analyzedWhileEmpty ? $"""; ANALYZE "{Store.Schema}".jobs""" : ""));

        // One pooled connection, so that every call below runs (and prepares) on the session read afterwards.
        await using var store = new PostgresJobStore(new PostgresStoreOptions
        {
            ConnectionString = Factory.ConnectionString + ";Maximum Pool Size=1" + extraConnectionString,
            Schema = Store.Schema,
            Listen = false,
        });
        await using (var session = await store.OpenPooledConnectionAsync())
            await ExecAsync(session, "SET plan_cache_mode = force_generic_plan"); // kept: the pool does not reset

        var lease = new JobLease(1, 1);
        var ttl = TimeSpan.FromSeconds(30);
        for (var i = 0; i < 8; i++) // auto-prepared after 5 uses; each prepared execution then uses the generic plan
        {
            await store.JobsClaimAsync(new JobsClaimParams("default", 16, "w", ttl), CancellationToken.None);
            await store.JobsCompleteAsync(new JobsCompleteParams([new JobCompletion { Lease = lease, Outcome = JobOutcome.Succeeded }]), CancellationToken.None);
            await store.JobsCompleteAsync(new JobsCompleteParams([new JobCompletion { Lease = lease, Outcome = JobOutcome.Succeeded, Result = "1" }]), CancellationToken.None);
            await store.JobsHeartbeatAsync(new JobsHeartbeatParams([lease], ttl), CancellationToken.None);
            await store.JobsReapAsync(new JobsReapParams(100), CancellationToken.None);
            await store.JobLogAppendAsync(new JobLogAppendParams(lease, "m"), CancellationToken.None);
            await store.JobRequeueAsync(new JobRequeueParams(1, "a"), CancellationToken.None);
            await store.JobsPurgeAsync(new JobsPurgeParams(TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(1), 100), CancellationToken.None);
            await store.QueuesListAsync(CancellationToken.None);
            await store.EventsFeedAsync(new EventsFeedParams(0, 100), CancellationToken.None);
            await store.JobStepSaveAsync(new JobStepSaveParams(lease, "s", "1"), CancellationToken.None);
            await store.InteractionAnswerAsync(new InteractionAnswerParams(1, "{}", "a"), CancellationToken.None);
            await store.InteractionsExpireAsync(new InteractionsExpireParams(100), CancellationToken.None);
            // Bounded inserts of two jobs where one may wait: each counts its queue and its tenant, then is refused.
            NewJob[] two = [.. Enumerable.Repeat(new NewJob { Kind = "k", Queue = "q", Payload = "{}", MaxAttempts = 1, Principal = JobPrincipal.For("u", "t") }, 2)];
            await Assert.ThrowsAsync<QueueFullException>(() => store.JobsInsertAsync(
                new JobsInsertParams(two, new Dictionary<string, QueueBound> { ["q"] = new(1, ttl) }), CancellationToken.None));
            await Assert.ThrowsAsync<TenantFullException>(() => store.JobsInsertAsync(
                new JobsInsertParams(two) { TenantBound = new TenantBound(1, ttl) }, CancellationToken.None));
            // Two unique jobs that find no blocking job, then are refused by the bound.
            NewJob[] unique = [two[0] with { UniqueKey = "k:1", UniquePeriod = ttl }, two[1] with { UniqueKey = "k:2", UniquePeriod = ttl }];
            await Assert.ThrowsAsync<QueueFullException>(() => store.JobsInsertAsync(
                new JobsInsertParams(unique, new Dictionary<string, QueueBound> { ["q"] = new(1, ttl) }), CancellationToken.None));
            // A limited claim with a candidate each time (its key fills after two): its candidates and its admission.
            await store.JobsInsertAsync(new JobsInsertParams([two[0] with { Queue = "limited", LimitName = "lim", LimitKey = "lim:t" }]), CancellationToken.None);
            await store.JobsClaimAsync(new JobsClaimParams("limited", 16, "w", ttl) { Limits = [new LimitDefinition("lim", 2, 10, ttl)] }, CancellationToken.None);
        }

        Dictionary<string, string> empty;
        await using (var session = await store.OpenPooledConnectionAsync())
            empty = await ExplainPreparedAsync(session);

        // 50,000 jobs: waiting, running, succeeded and failed ones.
        await ExecAsync(admin, $$"""
            INSERT INTO "{{Store.Schema}}".jobs (kind, queue, state, priority, payload, run_at, first_run_at, max_attempts,
                                                 lease_expires_at, finished_at, created_at, updated_at)
            SELECT 'bulk', 'default', s, 2, '{}', now() - interval '1 hour', now() - interval '1 hour', 3,
                   CASE WHEN s = 2 THEN now() + interval '1 hour' END, CASE WHEN s >= 4 THEN now() - interval '2 hours' END, now(), now()
            FROM (SELECT i, CASE i % 4 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 4 ELSE 5 END AS s
                  FROM generate_series(1, 50000) AS i) AS g;
            """);

        await using (var session = await store.OpenPooledConnectionAsync())
            return (empty, await ExplainPreparedAsync(session));
    }

    /// <summary>The generic plan of each statement of the store that <paramref name="session"/> has prepared.</summary>
    private async Task<Dictionary<string, string>> ExplainPreparedAsync(NpgsqlConnection session)
    {
        var markers = new Dictionary<string, string>
        {
            ["JobsClaim"] = "FOR UPDATE SKIP LOCKED))\n    RETURNING id, kind",
            ["JobsComplete"] = "ended_attempt",
            ["JobsCompletePlain"] = "AS keyed",
            ["JobsHeartbeat"] = "RETURNING j.id, j.cancel_requested",
            ["JobsReap"] = "'reaper'",
            ["LogAppend"] = "3, attempt, worker_id",
            ["JobRequeue"] = "Requeued from the dead-letter queue",
            ["JobsPurge"] = "history AS (",
            ["QueuesList"] = "AS awaiting",
            ["EventsFeed"] = "WHERE id > $1",
            ["StepSave"] = "saved AS (",
            ["InteractionAnswer"] = "answered AS (",
            ["InteractionsExpire"] = "described AS (",
            ["QueuesWaitingCount"] = "WHERE queue = q AND state = 1",
            ["TenantsWaitingCount"] = "WHERE tenant = t AND state = 1",
            ["UniqueFind"] = "u.unique_key = k.key",
        };
        var plans = new Dictionary<string, string>();
        var prepared = new List<(string Name, string Statement, int Parameters, long GenericPlans)>();
        await using (var list = new NpgsqlCommand(
            "SELECT name, statement, coalesce(cardinality(parameter_types), 0), generic_plans FROM pg_prepared_statements", session))
        await using (var r = await list.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
                prepared.Add((r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3)));
        }
        foreach (var (name, marker) in markers)
        {
            var statement = Assert.Single(prepared, p => p.Statement.Contains(marker, StringComparison.Ordinal));
            // Made on the empty table, and used there: the generic plan is what EXPLAIN EXECUTE shows below.
            Assert.True(statement.GenericPlans > 0, $"{name} never ran a generic plan.");
            var arguments = string.Join(", ", Enumerable.Repeat("NULL", statement.Parameters));
            await using var explain = new NpgsqlCommand($"EXPLAIN EXECUTE {statement.Name}({arguments})", session);
            var lines = new List<string>();
            await using (var r = await explain.ExecuteReaderAsync())
            {
                while (await r.ReadAsync())
                    lines.Add(r.GetString(0));
            }
            plans[name] = string.Join("\n", lines);
        }
        foreach (var (name, plan) in await LimitedClaimPlansAsync(session))
            plans[name] = plan;
        return plans;
    }

    /// <summary>
    /// The plans the function limited_claim (migration 0010) runs its two statements with in this session: the cached
    /// ones, as <c>auto_explain</c> reports them (as notices, nested statements too) while the function runs once inside
    /// a transaction that is rolled back. Named LimitedCandidates (the statement that takes the keys' locks) and
    /// LimitedClaim (admission and update); each as lines "Node Type on relation using index".
    /// </summary>
    private async Task<Dictionary<string, string>> LimitedClaimPlansAsync(NpgsqlConnection session)
    {
        var reported = new List<string>();
        void Collect(object? sender, NpgsqlNoticeEventArgs e) => reported.Add(e.Notice.MessageText);
        await ExecAsync(session, "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; " +
                                 "SET auto_explain.log_format = json; SET auto_explain.log_level = notice; BEGIN");
        session.Notice += Collect;
        try
        {
            // The arguments of the limited claims above: queue, wanted, worker, lease, clock, and the limit's numbers.
            await ExecAsync(session, $"SELECT * FROM \"{Store.Schema}\".limited_claim('limited', 16, 'w', interval '30 seconds', NULL, " +
                                     "ARRAY['lim'], ARRAY[2], ARRAY[10], ARRAY[interval '30 seconds'], 18, 2048)");
        }
        finally
        {
            session.Notice -= Collect;
            await ExecAsync(session, "ROLLBACK; SET auto_explain.log_min_duration = -1");
        }
        var plans = new Dictionary<string, string>();
        foreach (var (name, marker) in new[] { ("LimitedCandidates", "pg_try_advisory_xact_lock"), ("LimitedClaim", "PARTITION BY c.key") })
        {
            var json = Assert.Single(reported, n => n.Contains(marker, StringComparison.Ordinal) && !n.Contains("limited_claim(", StringComparison.Ordinal));
            using var document = System.Text.Json.JsonDocument.Parse(json[json.IndexOf('{', StringComparison.Ordinal)..]); // after "duration: … plan:"
            var lines = new List<string>();
            Describe(document.RootElement.GetProperty("Plan"), lines);
            plans[name] = string.Join("\n", lines);
        }
        return plans;

        static void Describe(System.Text.Json.JsonElement node, List<string> lines)
        {
            var line = node.GetProperty("Node Type").GetString();
            if (node.TryGetProperty("Relation Name", out var relation))
                line += $" on {relation.GetString()}";
            if (node.TryGetProperty("Index Name", out var index))
                line += $" using {index.GetString()}";
            lines.Add(line!);
            if (node.TryGetProperty("Plans", out var children))
            {
                foreach (var child in children.EnumerateArray())
                    Describe(child, lines);
            }
        }
    }

    private static int Count(string text, string what) => text.Split(what).Length - 1;
}
