using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.StoreTests.Engine;

public abstract partial class ConveyorEngineTests<TFactory>
{
    private static readonly DateTimeOffset ScheduleStart = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private async Task<IHost> StartScheduledHostAsync(FakeTimeProvider time, string? location, Action<ConveyorOptions> configure)
    {
        var host = BuildHost(configure, out _, location, time);
        await host.StartAsync();
        return host;
    }

    /// <summary>Every job a schedule inserted, read once <paramref name="count"/> exist (bounded wait).</summary>
    private static async Task<List<JobInfo>> WaitForScheduledJobsAsync(IJobClient client, int count)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            var jobs = (await client.ListAsync(new JobQuery { Limit = 1000 })).Jobs.Where(j => j.Schedule is not null).ToList();
            if (jobs.Count >= count)
                return [.. jobs.OrderBy(j => j.Id)];
            if (deadline.IsCancellationRequested)
                throw new Xunit.Sdk.XunitException($"{jobs.Count} scheduled jobs, not {count}, after {Patience}.");
            await Task.Delay(10);
        }
    }

    private static string Tick(string name, DateTimeOffset at) => ScheduleFireParams.TickKey(name, at);

    [Fact]
    public async Task Schedules_after_downtime_each_misfire_policy_fires_what_it_says_and_the_next_tick_survives_the_restart()
    {
        var time = new FakeTimeProvider(ScheduleStart);
        void Configure(ConveyorOptions o)
        {
            o.AddRecurring("skip", "* * * * *", "echo", new EchoJob("skip"), r => r.Misfire = MisfirePolicy.Skip);
            o.AddRecurring("once", "* * * * *", "echo", new EchoJob("once"), r => r.Misfire = MisfirePolicy.FireOnce);
            o.AddRecurring("each", "* * * * *", "echo", new EchoJob("each"), r => { r.Misfire = MisfirePolicy.FireEach; r.MaxCatchUp = 3; });
        }
        var first = BuildHost(Configure, out var location, time: time);
        await first.StartAsync();
        Assert.All(await Client(first).ListSchedulesAsync(), s => Assert.Equal(ScheduleStart.AddMinutes(1), s.NextFireAt));
        await first.StopAsync();

        // Down from 09:00 to 09:10:30: ticks 09:01 to 09:09 are missed (over a minute old), 09:10 is on time.
        time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(30));
        var second = await StartScheduledHostAsync(time, location, Configure);
        var client = Client(second);
        var jobs = await WaitForScheduledJobsAsync(client, 7);

        string[] Keys(string schedule) => [.. jobs.Where(j => j.Schedule == schedule).Select(j => j.IdempotencyKey!)];
        Assert.Equal([Tick("skip", ScheduleStart.AddMinutes(10))], Keys("skip"));
        Assert.Equal([Tick("once", ScheduleStart.AddMinutes(9)), Tick("once", ScheduleStart.AddMinutes(10))], Keys("once"));
        Assert.Equal([.. new[] { 7, 8, 9, 10 }.Select(m => Tick("each", ScheduleStart.AddMinutes(m)))], Keys("each"));
        Assert.All(await client.ListSchedulesAsync(), s => Assert.Equal(ScheduleStart.AddMinutes(11), s.NextFireAt));

        // Each firing is a normal job with its history, linked to its schedule.
        var fired = await WaitForAsync(client, jobs[0].Id, JobState.Succeeded);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Succeeded], await HistoryAsync(client, fired.Id));
        Assert.StartsWith($"Fired by schedule '{fired.Schedule}' for its tick at 2026-01-01T09:", (await client.GetHistoryAsync(fired.Id))[0].Message, StringComparison.Ordinal);
        Assert.Equal(7, (await client.ListAsync(new JobQuery { Limit = 1000 })).Jobs.Count);
    }

    [Fact]
    public async Task Schedules_a_tick_fires_once_on_time_and_the_scheduler_sleeps_until_the_next()
    {
        var time = new FakeTimeProvider(ScheduleStart);
        var host = await StartScheduledHostAsync(time, null, o => o.AddRecurring("minutely", "* * * * *", "echo", new EchoJob("tick")));
        var client = Client(host);

        // Move the fake clock a second at a time (the scheduler's sleeps are on it) until the 09:01 tick has fired.
        using var deadline = new CancellationTokenSource(Patience);
        while ((await client.GetScheduleAsync("minutely"))!.LastJobId is null)
        {
            deadline.Token.ThrowIfCancellationRequested();
            if (time.GetUtcNow() < ScheduleStart.AddSeconds(90))
                time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        var job = Assert.Single(await WaitForScheduledJobsAsync(client, 1));
        Assert.Equal(Tick("minutely", ScheduleStart.AddMinutes(1)), job.IdempotencyKey);
        Assert.Equal(ScheduleStart.AddMinutes(2), (await client.GetScheduleAsync("minutely"))!.NextFireAt);
    }

    [Fact]
    public async Task Schedules_a_pause_survives_a_restart_and_a_code_schedule_removed_through_the_api_comes_back()
    {
        var time = new FakeTimeProvider(ScheduleStart);
        void Configure(ConveyorOptions o) => o.AddRecurring("nightly", "0 2 * * *", "echo", new EchoJob("n"), r => r.TimeZone = "Europe/Berlin");
        var first = BuildHost(Configure, out var location, time: time);
        await first.StartAsync();
        var paused = await Client(first).SetSchedulePausedAsync("nightly", true, "ops");
        Assert.True(paused!.Paused);
        await first.StopAsync();

        var second = await StartScheduledHostAsync(time, location, Configure);
        var kept = (await Client(second).GetScheduleAsync("nightly"))!;
        Assert.True(kept.Paused);
        Assert.Equal("ops", kept.PausedBy);
        Assert.Equal(ScheduleSource.Code, kept.Source);
        // 02:00 in Berlin on 2 January is 01:00 UTC (CET, UTC+1).
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 1, 0, 0, TimeSpan.Zero), kept.NextFireAt);
        Assert.True(await Client(second).RemoveScheduleAsync("nightly"));
        await second.StopAsync();

        var third = await StartScheduledHostAsync(time, location, Configure);
        Assert.NotNull(await Client(third).GetScheduleAsync("nightly"));
    }

    [Fact]
    public async Task Schedules_added_through_the_client_are_validated_and_a_trigger_fires_a_linked_job_now()
    {
        var time = new FakeTimeProvider(ScheduleStart);
        var host = await StartScheduledHostAsync(time, null, _ => { });
        var client = Client(host);
        var definition = new ScheduleDefinition { Name = "hourly", Cron = "0 * * * *", Kind = "echo", Payload = """{"text":"h"}""", Overlap = OverlapPolicy.Queue };

        Assert.Equal("cron", (await Assert.ThrowsAsync<JobValidationException>(() => client.AddScheduleAsync(definition with { Cron = "0 25 * * *" }))).Field);
        Assert.Equal("timeZone", (await Assert.ThrowsAsync<JobValidationException>(() => client.AddScheduleAsync(definition with { TimeZone = "Nowhere/Land" }))).Field);
        Assert.Equal("kind", (await Assert.ThrowsAsync<JobValidationException>(() => client.AddScheduleAsync(definition with { Kind = "nope" }))).Field);
        Assert.Equal("payload", (await Assert.ThrowsAsync<JobValidationException>(() => client.AddScheduleAsync(definition with { Payload = "[1]" }))).Field);
        var added = await client.AddScheduleAsync(definition);
        Assert.Equal(ScheduleSource.Api, added.Source);
        Assert.Equal(ScheduleStart.AddHours(1), added.NextFireAt);

        var triggered = await client.TriggerScheduleAsync("hourly", "alice");
        var job = await WaitForAsync(client, triggered!.JobId, JobState.Succeeded);
        Assert.Equal("hourly", job.Schedule);
        Assert.Equal("schedule:hourly", job.ConcurrencyKey);
        Assert.Equal(ScheduleStart.AddHours(1), (await client.GetScheduleAsync("hourly"))!.NextFireAt);
        Assert.Null(await client.TriggerScheduleAsync("unknown"));
        Assert.Null(await client.SetSchedulePausedAsync("unknown", true));
    }
}
