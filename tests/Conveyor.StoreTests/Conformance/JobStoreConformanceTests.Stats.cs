namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static readonly JobPrincipal Ann = new("ann", "acme", []);
    private static readonly JobPrincipal Bob = new("bob", "acme", []);

    private Task<JobStats> StatsAsync(string? tenant, string? user = null) =>
        Store.StatsGetAsync(new StatsGetParams(tenant, user, TimeSpan.FromHours(1)), CancellationToken.None);

    private static Dictionary<JobState, long> States(long scheduled = 0, long pending = 0, long running = 0, long succeeded = 0, long failed = 0) => new()
    {
        [JobState.Scheduled] = scheduled,
        [JobState.Pending] = pending,
        [JobState.Running] = running,
        [JobState.AwaitingInput] = 0,
        [JobState.Succeeded] = succeeded,
        [JobState.Failed] = failed,
        [JobState.Cancelled] = 0,
    };

    /// <summary>
    /// Tenant acme: 21 reports that succeeded in the window taking 1..20 s (20) and one older one outside it, one mail by
    /// Bob taking 42 s, a failed, a pending and a scheduled mail, one stuck and one live running report. The default
    /// tenant: a report that took 500 s and a pending one.
    /// </summary>
    private async Task SeedStatsAsync()
    {
        await RunToEndAsync(Job(kind: "report", queue: "old", principal: Ann), JobOutcome.Succeeded, TimeSpan.FromSeconds(1000));
        Time.Advance(TimeSpan.FromHours(2));
        for (var seconds = 1; seconds <= 20; seconds++)
            await RunToEndAsync(Job(kind: "report", queue: "r", principal: Ann), JobOutcome.Succeeded, TimeSpan.FromSeconds(seconds));
        await RunToEndAsync(Job(kind: "mail", queue: "m", principal: Bob), JobOutcome.Succeeded, TimeSpan.FromSeconds(42));
        await RunToEndAsync(Job(kind: "mail", queue: "f", principal: Ann), JobOutcome.Failed);
        await RunToEndAsync(Job(kind: "report", queue: "d"), JobOutcome.Succeeded, TimeSpan.FromSeconds(500));
        await InsertManyAsync([
            Job(kind: "report", queue: "d"),
            Job(kind: "mail", queue: "p", principal: Ann),
            Job(kind: "mail", queue: "p", principal: Ann, delay: TimeSpan.FromDays(1)),
            Job(kind: "report", queue: "s", principal: Ann),
        ]);
        await ClaimOneAsync("s");
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        await InsertAsync(Job(kind: "report", queue: "s", principal: Ann));
        await ClaimOneAsync("s");
    }

    [Fact]
    public async Task Stats_of_one_tenant_count_states_per_kind_stuck_jobs_and_durations_in_the_window()
    {
        await SeedStatsAsync();

        var stats = await StatsAsync("acme");

        Assert.Equal(States(scheduled: 1, pending: 1, running: 2, succeeded: 22, failed: 1), stats.States);
        Assert.Equal(1, stats.Stuck);
        // 21 durations in the window: 1..20 s and 42 s. Mean 252 / 21 = 12 s; nearest rank ceil(0.95 × 21) = 20: 20 s.
        Assert.Equal(new DurationStats(21, TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(20)), stats.Durations);
        Assert.Equal(["mail", "report"], stats.Kinds.Select(k => k.Kind));
        var mail = stats.Kinds[0];
        Assert.Equal(new Dictionary<JobState, long> { [JobState.Scheduled] = 1, [JobState.Pending] = 1, [JobState.Succeeded] = 1, [JobState.Failed] = 1 }, mail.States);
        Assert.Equal(new DurationStats(1, TimeSpan.FromSeconds(42), TimeSpan.FromSeconds(42)), mail.Durations);
        var report = stats.Kinds[1];
        Assert.Equal(new Dictionary<JobState, long> { [JobState.Running] = 2, [JobState.Succeeded] = 21 }, report.States);
        // 1..20 s: mean 10.5 s; nearest rank ceil(0.95 × 20) = 19: 19 s (an interpolating percentile would say 19.05 s).
        Assert.Equal(new DurationStats(20, TimeSpan.FromSeconds(10.5), TimeSpan.FromSeconds(19)), report.Durations);
    }

    [Fact]
    public async Task Stats_filter_by_the_default_tenant_by_user_or_not_at_all()
    {
        await SeedStatsAsync();

        var byDefault = await StatsAsync("");
        Assert.Equal(States(pending: 1, succeeded: 1), byDefault.States);
        Assert.Equal(0, byDefault.Stuck);
        Assert.Equal(new DurationStats(1, TimeSpan.FromSeconds(500), TimeSpan.FromSeconds(500)), byDefault.Durations);
        Assert.Equal("report", Assert.Single(byDefault.Kinds).Kind);

        var bob = await StatsAsync("acme", "bob");
        Assert.Equal(States(succeeded: 1), bob.States);
        Assert.Equal(new DurationStats(1, TimeSpan.FromSeconds(42), TimeSpan.FromSeconds(42)), bob.Durations);

        var all = await StatsAsync(null);
        Assert.Equal(States(scheduled: 1, pending: 2, running: 2, succeeded: 23, failed: 1), all.States);
        Assert.Equal(1, all.Stuck);
        Assert.Equal(22, all.Durations.Count);
        Assert.Equal(TimeSpan.FromSeconds(42), all.Durations.P95); // ranks 1..20, 42, 500: rank ceil(20.9) = 21
    }

    [Fact]
    public async Task Stats_of_an_empty_store_have_every_state_at_zero_and_no_durations()
    {
        var stats = await StatsAsync(null);

        Assert.Equal(States(), stats.States);
        Assert.Empty(stats.Kinds);
        Assert.Equal(0, stats.Stuck);
        Assert.Equal(new DurationStats(0, null, null), stats.Durations);
    }
}
