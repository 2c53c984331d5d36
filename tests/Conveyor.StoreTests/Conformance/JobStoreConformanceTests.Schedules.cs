namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static ScheduleDefinition Definition(string name = "nightly", string cron = "0 2 * * *", string timeZone = "UTC", string payload = "{}") => new()
    {
        Name = name,
        Cron = cron,
        TimeZone = timeZone,
        Kind = "test.job",
        Payload = payload,
        Misfire = MisfirePolicy.FireEach,
        MaxCatchUp = 5,
        Overlap = OverlapPolicy.Skip,
        Queue = "default",
        Priority = JobPriority.High,
    };

    private Task<ScheduleInfo> UpsertAsync(ScheduleDefinition definition, DateTimeOffset? next, ScheduleSource source = ScheduleSource.Api) =>
        Store.ScheduleUpsertAsync(new ScheduleUpsertParams(definition, source, next), CancellationToken.None);

    private Task<ScheduleFireResult> FireAsync(string name, DateTimeOffset expected, DateTimeOffset? next, IReadOnlyList<DateTimeOffset> ticks, bool skipWhileActive = false, IJobStore? store = null) =>
        (store ?? Store).ScheduleFireAsync(new ScheduleFireParams
        {
            Name = name,
            Expected = expected,
            Next = next,
            Ticks = ticks,
            Job = Job(priority: JobPriority.High),
            SkipWhileActive = skipWhileActive,
        }, CancellationToken.None);

    [Fact]
    public async Task Schedules_upsert_stores_the_definition_and_reads_lists_and_deletes_it()
    {
        var next = Start.AddHours(17);
        var stored = await UpsertAsync(Definition(), next, ScheduleSource.Code);

        Assert.Equal(Definition(), stored.Definition);
        Assert.Equal(ScheduleSource.Code, stored.Source);
        Assert.False(stored.Paused);
        Assert.Equal(next, stored.NextFireAt);
        Assert.Null(stored.LastFiredAt);
        Assert.Null(stored.LastJobId);
        Assert.Equal(Start, stored.CreatedAt);
        Assert.Equal(stored, await Store.ScheduleGetAsync("nightly", CancellationToken.None));
        await UpsertAsync(Definition("hourly", "0 * * * *"), Start.AddHours(1));
        Assert.Equal(["hourly", "nightly"], (await Store.SchedulesListAsync(CancellationToken.None)).Select(s => s.Name));

        Assert.True(await Store.ScheduleDeleteAsync("nightly", CancellationToken.None));
        Assert.False(await Store.ScheduleDeleteAsync("nightly", CancellationToken.None));
        Assert.Null(await Store.ScheduleGetAsync("nightly", CancellationToken.None));
        Assert.Equal(["hourly"], (await Store.SchedulesListAsync(CancellationToken.None)).Select(s => s.Name));
    }

    [Fact]
    public async Task Schedules_a_change_signals_after_commit_and_a_lookup_or_a_change_of_nothing_does_not()
    {
        var signals = 0;
        Store.Signals.SchedulesChanged += () => Interlocked.Increment(ref signals);

        await UpsertAsync(Definition(), Start.AddHours(17));
        Assert.Equal(1, Volatile.Read(ref signals)); // raised before the call returned, so a sleeping scheduler looks again
        await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("nightly", true, "ops"), CancellationToken.None);
        await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("nightly", false, "ops", Start.AddHours(18)), CancellationToken.None);
        Assert.Equal(3, Volatile.Read(ref signals));

        await Store.ScheduleGetAsync("nightly", CancellationToken.None);
        await Store.SchedulesListAsync(CancellationToken.None);
        Assert.Null(await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("missing", true, "ops"), CancellationToken.None));
        Assert.Equal(3, Volatile.Read(ref signals));
    }

    [Fact]
    public async Task Schedules_upsert_keeps_the_next_fire_time_and_the_pause_unless_the_expression_or_zone_changes()
    {
        await UpsertAsync(Definition(), Start.AddHours(17));
        await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("nightly", true, "ops"), CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(5));

        var samePlan = await UpsertAsync(Definition(payload: """{"v":2}"""), Start.AddDays(9), ScheduleSource.Code);
        Assert.Equal(Start.AddHours(17), samePlan.NextFireAt);
        Assert.Equal("""{"v":2}""", samePlan.Definition.Payload);
        Assert.True(samePlan.Paused);
        Assert.Equal("ops", samePlan.PausedBy);
        Assert.Equal(Start, samePlan.CreatedAt);
        Assert.Equal(Start.AddMinutes(5), samePlan.UpdatedAt);

        Assert.Equal(Start.AddHours(18), (await UpsertAsync(Definition(cron: "0 3 * * *"), Start.AddHours(18))).NextFireAt);
        Assert.Equal(Start.AddHours(16), (await UpsertAsync(Definition(cron: "0 3 * * *", timeZone: "Europe/Berlin"), Start.AddHours(16))).NextFireAt);
    }

    [Fact]
    public async Task Schedules_due_lists_schedules_not_paused_at_or_before_now_earliest_first_with_the_next_one_ahead()
    {
        await UpsertAsync(Definition("a"), Start.AddSeconds(10));
        await UpsertAsync(Definition("b"), Start.AddSeconds(5));
        await UpsertAsync(Definition("c"), Start.AddSeconds(30));
        await UpsertAsync(Definition("paused"), Start.AddSeconds(1));
        await UpsertAsync(Definition("never", "0 0 30 2 *"), null);
        await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("paused", true, "ops"), CancellationToken.None);

        var before = await Store.SchedulesDueAsync(new SchedulesDueParams(10), CancellationToken.None);
        Assert.Equal(Start, before.Now);
        Assert.Empty(before.Due);
        Assert.Equal(Start.AddSeconds(5), before.NextDueAt);

        Time.Advance(TimeSpan.FromSeconds(10));
        var due = await Store.SchedulesDueAsync(new SchedulesDueParams(10), CancellationToken.None);
        Assert.Equal(["b", "a"], due.Due.Select(s => s.Name));
        Assert.Equal(Start.AddSeconds(30), due.NextDueAt);
        Assert.Equal(["b"], (await Store.SchedulesDueAsync(new SchedulesDueParams(1), CancellationToken.None)).Due.Select(s => s.Name));
    }

    [Fact]
    public async Task Schedules_fire_inserts_a_linked_keyed_job_per_tick_and_moves_the_next_fire_time()
    {
        var tick = Start.AddSeconds(5);
        await UpsertAsync(Definition("minutely", "* * * * *"), tick);
        Time.Advance(TimeSpan.FromSeconds(6));

        var fired = await FireAsync("minutely", tick, tick.AddMinutes(1), [tick.AddMinutes(-1), tick]);

        Assert.True(fired.Applied);
        Assert.False(fired.SkippedOverlap);
        Assert.Equal(2, fired.JobIds.Count);
        var job = await GetAsync(fired.JobIds[1]);
        Assert.Equal("minutely", job.Schedule);
        Assert.Equal(ScheduleFireParams.TickKey("minutely", tick), job.IdempotencyKey);
        Assert.Equal("schedule:minutely:2026-01-01T09:00:05Z", job.IdempotencyKey);
        Assert.Equal(JobPriority.High, job.Priority);
        Assert.Equal(JobState.Pending, job.State);
        var created = Assert.Single(await EventsAsync(job.Id));
        Assert.Equal(JobEventKind.Enqueued, created.Kind);
        Assert.Equal("Fired by schedule 'minutely' for its tick at 2026-01-01T09:00:05Z.", created.Message);
        var schedule = await Store.ScheduleGetAsync("minutely", CancellationToken.None);
        Assert.Equal(tick.AddMinutes(1), schedule!.NextFireAt);
        Assert.Equal(tick, schedule.LastFiredAt);
        Assert.Equal(job.Id, schedule.LastJobId);
        Assert.Null((await GetAsync(await InsertAsync(Job()))).Schedule);
    }

    [Fact]
    public async Task Schedules_fire_of_a_tick_already_fired_changes_nothing()
    {
        var tick = Start;
        await UpsertAsync(Definition("minutely", "* * * * *"), tick);
        Assert.True((await FireAsync("minutely", tick, tick.AddMinutes(1), [tick])).Applied);

        var again = await FireAsync("minutely", tick, tick.AddMinutes(1), [tick]);
        Assert.False(again.Applied);
        Assert.Empty(again.JobIds);
        Assert.Equal(1, await CountJobsAsync());
        Assert.False((await FireAsync("unknown", tick, tick.AddMinutes(1), [tick])).Applied);
        Assert.Equal(tick.AddMinutes(1), (await Store.ScheduleGetAsync("minutely", CancellationToken.None))!.NextFireAt);
    }

    [Fact]
    public async Task Schedules_fire_racing_on_eight_store_instances_inserts_each_tick_once()
    {
        var stores = Enumerable.Range(0, 8).Select(_ => Factory.OpenSibling(Store, Time)).ToList();
        try
        {
            await UpsertAsync(Definition("every-second", "* * * * * *"), Start);
            for (var round = 0; round < 20; round++)
            {
                var tick = Start.AddSeconds(round);
                var results = await Task.WhenAll(stores.Select(s => Task.Run(() => FireAsync("every-second", tick, tick.AddSeconds(1), [tick], store: s))));
                Assert.Single(results, r => r.Applied);
                Assert.All(results.Where(r => !r.Applied), r => Assert.Empty(r.JobIds));
            }
            var jobs = await ListAllAsync();
            Assert.Equal(20, jobs.Count);
            Assert.Equal(20, jobs.Select(j => j.IdempotencyKey).Distinct().Count());
        }
        finally
        {
            foreach (var s in stores)
                await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Schedules_overlap_skip_moves_on_without_a_job_while_the_latest_job_is_active()
    {
        await UpsertAsync(Definition("minutely", "* * * * *"), Start);
        var first = await FireAsync("minutely", Start, Start.AddMinutes(1), [Start], skipWhileActive: true);
        Assert.Single(first.JobIds);

        var whileWaiting = await FireAsync("minutely", Start.AddMinutes(1), Start.AddMinutes(2), [Start.AddMinutes(1)], skipWhileActive: true);
        Assert.True(whileWaiting.Applied);
        Assert.True(whileWaiting.SkippedOverlap);
        Assert.Empty(whileWaiting.JobIds);

        var running = await ClaimOneAsync();
        var whileRunning = await FireAsync("minutely", Start.AddMinutes(2), Start.AddMinutes(3), [Start.AddMinutes(2)], skipWhileActive: true);
        Assert.True(whileRunning.SkippedOverlap);
        Assert.True(await CompleteAsync(running, JobOutcome.Succeeded));

        var afterwards = await FireAsync("minutely", Start.AddMinutes(3), Start.AddMinutes(4), [Start.AddMinutes(3)], skipWhileActive: true);
        Assert.False(afterwards.SkippedOverlap);
        Assert.Single(afterwards.JobIds);
        Assert.Equal(2, await CountJobsAsync());
        Assert.Equal(Start.AddMinutes(4), (await Store.ScheduleGetAsync("minutely", CancellationToken.None))!.NextFireAt);
    }

    [Fact]
    public async Task Schedules_a_paused_schedule_is_not_due_cannot_fire_and_resumes_from_the_given_next_fire_time()
    {
        await UpsertAsync(Definition("minutely", "* * * * *"), Start);
        var paused = await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("minutely", true, "ops"), CancellationToken.None);
        Assert.True(paused!.Paused);
        Assert.Equal("ops", paused.PausedBy);
        Time.Advance(TimeSpan.FromMinutes(10));

        Assert.Empty((await Store.SchedulesDueAsync(new SchedulesDueParams(10), CancellationToken.None)).Due);
        Assert.False((await FireAsync("minutely", Start, Start.AddMinutes(1), [Start])).Applied);
        Assert.Equal(0, await CountJobsAsync());

        var resumed = await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("minutely", false, "ops", Start.AddMinutes(11)), CancellationToken.None);
        Assert.False(resumed!.Paused);
        Assert.Null(resumed.PausedBy);
        Assert.Equal(Start.AddMinutes(11), resumed.NextFireAt);
        // Resuming a schedule that is not paused keeps its next fire time (a due tick is not dropped).
        Assert.Equal(Start.AddMinutes(11), (await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("minutely", false, "ops", Start.AddMinutes(30)), CancellationToken.None))!.NextFireAt);
        Assert.Null(await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("unknown", true, "ops"), CancellationToken.None));
    }

    [Fact]
    public async Task Schedules_trigger_inserts_one_linked_job_now_without_moving_the_next_fire_time()
    {
        await UpsertAsync(Definition(), Start.AddHours(17));
        await Store.ScheduleSetPausedAsync(new ScheduleSetPausedParams("nightly", true, "ops"), CancellationToken.None);

        var triggered = await Store.ScheduleTriggerAsync(new ScheduleTriggerParams("nightly", Job(idempotencyKey: "schedule:nightly:manual:1"), "alice"), CancellationToken.None);

        Assert.NotNull(triggered);
        Assert.Equal(JobState.Pending, triggered.State);
        var job = await GetAsync(triggered.JobId);
        Assert.Equal("nightly", job.Schedule);
        Assert.Equal("Triggered by hand by alice from schedule 'nightly'.", Assert.Single(await EventsAsync(job.Id)).Message);
        var schedule = await Store.ScheduleGetAsync("nightly", CancellationToken.None);
        Assert.Equal(Start.AddHours(17), schedule!.NextFireAt);
        Assert.Equal(job.Id, schedule.LastJobId);
        Assert.Null(schedule.LastFiredAt);
        Assert.Null(await Store.ScheduleTriggerAsync(new ScheduleTriggerParams("unknown", Job(idempotencyKey: "k"), "alice"), CancellationToken.None));
        Assert.Equal(1, await CountJobsAsync());
    }
}
