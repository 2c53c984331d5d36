using System.Collections.Concurrent;

namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static NewJob Limited(string limit, string? partition, string queue = "default", string kind = "test.job") =>
        Job(kind: kind, queue: queue) with { LimitName = limit, LimitKey = partition is null ? limit : $"{limit}:{partition}" };

    private Task<IReadOnlyList<ClaimedJob>> ClaimLimitedAsync(IReadOnlyList<LimitDefinition>? limits, int limit = 16, string queue = "default", string worker = "worker-1", IJobStore? store = null) =>
        (store ?? Store).JobsClaimAsync(new JobsClaimParams(queue, limit, worker, Lease) { Limits = limits }, CancellationToken.None);

    [Fact]
    public async Task Concurrent_claimers_never_run_more_of_a_limit_key_than_its_max_and_lose_or_duplicate_nothing()
    {
        const int tenants = 20, perTenant = 20, total = tenants * perTenant;
        LimitDefinition[] limits = [new("per-tenant", MaxRunning: 2, RateCount: null, RatePeriod: null)];
        // In runs of five per tenant, so that every claim meets a key at its maximum ahead of keys with room.
        await InsertManyAsync(Enumerable.Range(0, total).Select(i => $"t{i / 5 % tenants}").Select(t => Limited("per-tenant", t) with { Payload = $"\"{t}\"" }));
        var stores = StoresForClaimers(Claimers);
        var running = new ConcurrentDictionary<string, int>();
        var highest = new ConcurrentDictionary<string, int>();
        var claimedIds = new ConcurrentBag<long>();
        var appliedIds = new ConcurrentBag<long>();

        await Task.WhenAll(Enumerable.Range(0, Claimers).Select(n => Task.Run(async () =>
        {
            var store = stores[n];
            var held = new List<ClaimedJob>();
            while (appliedIds.Count < total)
            {
                var batch = await ClaimLimitedAsync(limits, limit: 3, worker: $"worker-{n}", store: store);
                // Counted after the claim committed and before the completion commits: never above the store's own count.
                foreach (var job in batch)
                {
                    claimedIds.Add(job.Id);
                    var key = job.Payload;
                    var now = running.AddOrUpdate(key, 1, (_, c) => c + 1);
                    highest.AddOrUpdate(key, now, (_, h) => Math.Max(h, now));
                }
                held.AddRange(batch);
                // Finish the older half of what this claimer holds, so that keys stay at their maximum across claims.
                var finishing = held.Take(Math.Max(1, held.Count / 2)).ToList();
                if (finishing.Count == 0 || held.Count == 0)
                {
                    await Task.Yield();
                    continue;
                }
                held.RemoveRange(0, finishing.Count);
                foreach (var job in finishing)
                    running.AddOrUpdate(job.Payload, 0, (_, c) => c - 1);
                foreach (var id in await CompleteManyAsync(finishing.Select(j => Completion(j, JobOutcome.Succeeded, actor: $"worker-{n}")), store))
                    appliedIds.Add(id);
            }
        })));

        Assert.All(highest, h => Assert.True(h.Value <= 2, $"key {h.Key} had {h.Value} running"));
        Assert.True(highest.Count(h => h.Value == 2) >= tenants / 2, "the limit was reached, not merely respected by accident");
        Assert.Equal(total, claimedIds.Count);
        Assert.Equal(total, claimedIds.Distinct().Count());
        Assert.Equal(total, appliedIds.Distinct().Count());
        Assert.Equal(total, await CountJobsAsync(new JobQuery { States = [JobState.Succeeded] }));
    }

    [Fact]
    public async Task A_limited_claim_larger_than_a_statement_takes_claims_every_admitted_job_in_claim_order()
    {
        // 40 keys with room: more admitted jobs than a store's statement takes at once (SQLite: 16).
        LimitDefinition[] limits = [new("per-tenant", 1, null, null)];
        var ids = await InsertManyAsync(Enumerable.Range(0, 50).Select(i => Limited("per-tenant", $"t{i % 40}")));

        var claimed = await ClaimLimitedAsync(limits, limit: 50);

        Assert.Equal(ids.Take(40), claimed.Select(j => j.Id));
        Assert.All(claimed, j => Assert.Equal(1, j.Attempt));
        Assert.Equal(40, await CountJobsAsync(new JobQuery { States = [JobState.Running] }));
    }

    [Fact]
    public async Task A_key_at_its_max_is_passed_over_so_other_keys_start_and_it_resumes_when_a_slot_frees()
    {
        LimitDefinition[] limits = [new("per-tenant", 2, null, null)];
        var a = await InsertManyAsync(Enumerable.Range(0, 100).Select(_ => Limited("per-tenant", "a")));
        var b = await InsertManyAsync(Enumerable.Range(0, 5).Select(_ => Limited("per-tenant", "b")));

        var first = await ClaimLimitedAsync(limits, limit: 16);

        // Each key starts its maximum: two of a's hundred, passed over after that, and two of b's five behind them.
        Assert.Equal([a[0], a[1], b[0], b[1]], first.Select(j => j.Id).Order());
        Assert.Empty(await ClaimLimitedAsync(limits, limit: 16));
        Assert.True(await CompleteAsync(first.Single(j => j.Id == a[0]), JobOutcome.Succeeded));
        var next = await ClaimLimitedAsync(limits, limit: 16);
        Assert.Equal([a[2]], next.Select(j => j.Id));
        Assert.Equal(JobEventKind.Started, (await HistoryAsync(a[2]))[^1]);
    }

    [Fact]
    public async Task A_rate_limit_admits_its_count_per_sliding_window_while_other_keys_start_and_wakes_the_queue_when_it_reopens()
    {
        LimitDefinition[] limits = [new("calls", null, 3, TimeSpan.FromMinutes(1))];
        var wakes = new ConcurrentQueue<(string Queue, DateTimeOffset At)>();
        Store.Signals.JobsReady += (queue, at) => wakes.Enqueue((queue, at));
        var a = await InsertManyAsync(Enumerable.Range(0, 10).Select(_ => Limited("calls", "a")));

        Assert.Equal(a[..3], (await ClaimLimitedAsync(limits)).Select(j => j.Id).Order());
        Time.Advance(TimeSpan.FromSeconds(20));
        var b = await InsertManyAsync(Enumerable.Range(0, 2).Select(_ => Limited("calls", "b")));
        // Key a's window is full (its starts need not have finished: a rate counts starts); b starts.
        Assert.Equal(b, (await ClaimLimitedAsync(limits)).Select(j => j.Id).Order());
        Assert.Contains(("default", Start.AddMinutes(1)), wakes);
        Time.Advance(TimeSpan.FromSeconds(39));
        Assert.Empty(await ClaimLimitedAsync(limits));
        Time.Advance(TimeSpan.FromSeconds(1)); // Start + 60 s: the three starts at Start have left (now - 1 min, now]
        Assert.Equal(a[3..6], (await ClaimLimitedAsync(limits)).Select(j => j.Id).Order());
        Assert.Empty(await ClaimLimitedAsync(limits));
    }

    [Fact]
    public async Task Concurrent_claimers_never_start_more_than_the_rate_in_any_sliding_window()
    {
        const int keys = 4, total = 120, count = 3;
        var period = TimeSpan.FromSeconds(10);
        LimitDefinition[] limits = [new("calls", null, count, period)];
        await InsertManyAsync(Enumerable.Range(0, total).Select(i => Limited("calls", $"k{i % keys}") with { Payload = $"\"k{i % keys}\"" }));
        var stores = StoresForClaimers(Claimers);
        var done = 0;
        var clock = new Lock();

        await Task.WhenAll(Enumerable.Range(0, Claimers).Select(n => Task.Run(async () =>
        {
            while (Volatile.Read(ref done) < total)
            {
                var batch = await ClaimLimitedAsync(limits, limit: 2, worker: $"worker-{n}", store: stores[n]);
                if (batch.Count == 0)
                {
                    // Every key's window is full (or another claimer holds its turn): let time pass, in odd steps.
                    lock (clock)
                        Time.Advance(TimeSpan.FromMilliseconds(700));
                    continue;
                }
                await CompleteManyAsync(batch.Select(j => Completion(j, JobOutcome.Succeeded)), stores[n]);
                Interlocked.Add(ref done, batch.Count);
            }
        })));

        var jobs = await ListAllAsync(new JobQuery { States = [JobState.Succeeded] });
        Assert.Equal(total, jobs.Count);
        // Each job names its key in its payload; its start is the store's own record of it.
        var starts = jobs.Select(j => (Key: j.Payload, At: j.StartedAt!.Value)).GroupBy(s => s.Key).ToList();
        foreach (var group in starts)
        {
            var instants = group.Select(s => s.At).Order().ToList();
            for (var i = 0; i < instants.Count; i++)
            {
                var inWindow = instants.Count(t => t > instants[i] - period && t <= instants[i]);
                Assert.True(inWindow <= count, $"key {group.Key}: {inWindow} starts in the window ending {instants[i]:O}");
            }
        }
        Assert.Equal(keys, starts.Count);
    }

    [Fact]
    public async Task An_unpartitioned_limit_counts_its_jobs_in_every_queue_together()
    {
        LimitDefinition[] limits = [new("global", 3, null, null)];
        await InsertManyAsync(Enumerable.Range(0, 5).Select(_ => Limited("global", null, queue: "q1")));
        var two = await InsertManyAsync(Enumerable.Range(0, 5).Select(_ => Limited("global", null, queue: "q2")));

        var fromOne = await ClaimLimitedAsync(limits, limit: 10, queue: "q1");
        Assert.Equal(3, fromOne.Count);
        Assert.Empty(await ClaimLimitedAsync(limits, limit: 10, queue: "q2"));
        Assert.True(await CompleteAsync(fromOne[0], JobOutcome.Succeeded));
        Assert.Equal([two[0]], (await ClaimLimitedAsync(limits, limit: 10, queue: "q2")).Select(j => j.Id));
        Assert.Empty(await ClaimLimitedAsync(limits, limit: 10, queue: "q1"));
    }

    [Fact]
    public async Task A_job_whose_limit_is_no_longer_configured_runs_unthrottled()
    {
        await InsertManyAsync(Enumerable.Range(0, 6).Select(_ => Limited("removed", "a")));
        LimitDefinition[] others = [new("other", 1, null, null)];

        Assert.Equal(4, (await ClaimLimitedAsync(others, limit: 4)).Count);
        Assert.Equal(2, (await ClaimLimitedAsync(null, limit: 4)).Count);
    }

    [Fact]
    public async Task A_paused_queue_starts_nothing_under_limits_either()
    {
        LimitDefinition[] limits = [new("per-tenant", 2, null, null)];
        await InsertManyAsync([Limited("per-tenant", "a"), Job()]);
        await SetPausedAsync("default", true);
        Assert.Empty(await ClaimLimitedAsync(limits));
        await SetPausedAsync("default", false);
        Assert.Equal(2, (await ClaimLimitedAsync(limits)).Count);
    }

    [Fact]
    public async Task LimitsList_counts_running_ready_and_window_starts_per_key()
    {
        LimitDefinition[] limits = [new("per-tenant", 1, null, null), new("calls", null, 5, TimeSpan.FromMinutes(1))];
        await InsertManyAsync([.. Enumerable.Range(0, 3).Select(_ => Limited("per-tenant", "a")), Limited("per-tenant", "b"),
            .. Enumerable.Range(0, 2).Select(_ => Limited("calls", null, queue: "api")), Limited("per-tenant", "b") with { Delay = TimeSpan.FromHours(1) }]);
        Assert.Equal(2, (await ClaimLimitedAsync(limits)).Count);
        var call = Assert.Single(await ClaimLimitedAsync(limits, limit: 1, queue: "api"));
        Assert.True(await CompleteAsync(call, JobOutcome.Succeeded));

        var listed = await Store.LimitsListAsync(new LimitsListParams(limits), CancellationToken.None);

        Assert.Equal(
            [new LimitKeyStatus("calls", "calls", 0, 1, 1), new LimitKeyStatus("per-tenant", "per-tenant:a", 1, 2, 0), new LimitKeyStatus("per-tenant", "per-tenant:b", 1, 0, 0)],
            listed);
        Assert.Equal("a", listed[1].Partition);
        Assert.Null(listed[0].Partition);
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, (await Store.LimitsListAsync(new LimitsListParams(limits), CancellationToken.None))[0].StartsInWindow);
        Assert.Empty(await Store.LimitsListAsync(new LimitsListParams([new("other", 1, null, null)]), CancellationToken.None));
    }

    [Fact]
    public async Task LimitStartsPurge_deletes_starts_older_than_the_window_in_batches_and_leaves_live_ones()
    {
        LimitDefinition[] limits = [new("calls", null, 10, TimeSpan.FromMinutes(1))];
        await InsertManyAsync(Enumerable.Range(0, 3).Select(k => Limited("calls", $"k{k}")));
        Assert.Equal(3, (await ClaimLimitedAsync(limits)).Count);
        Time.Advance(TimeSpan.FromSeconds(30));
        await InsertManyAsync([Limited("calls", "k0")]);
        Assert.Single(await ClaimLimitedAsync(limits));

        // Every start is inside the minute: nothing to delete.
        Assert.Equal(0, await Store.LimitStartsPurgeAsync(new LimitStartsPurgeParams(TimeSpan.FromMinutes(1), 100), CancellationToken.None));
        Time.Advance(TimeSpan.FromSeconds(31));
        // The three starts of 61 s ago are out of every window; the one of 31 s ago is not. Two per call.
        Assert.Equal(2, await Store.LimitStartsPurgeAsync(new LimitStartsPurgeParams(TimeSpan.FromMinutes(1), 2), CancellationToken.None));
        Assert.Equal(1, await Store.LimitStartsPurgeAsync(new LimitStartsPurgeParams(TimeSpan.FromMinutes(1), 2), CancellationToken.None));
        Assert.Equal(0, await Store.LimitStartsPurgeAsync(new LimitStartsPurgeParams(TimeSpan.FromMinutes(1), 2), CancellationToken.None));
        var calls = Assert.Single(await Store.LimitsListAsync(new LimitsListParams(limits), CancellationToken.None), k => k.Key == "calls:k0");
        Assert.Equal(1, calls.StartsInWindow);
        // No rate configured any more: every start may go.
        Assert.Equal(1, await Store.LimitStartsPurgeAsync(new LimitStartsPurgeParams(TimeSpan.Zero, 100), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.LimitStartsPurgeAsync(new LimitStartsPurgeParams(TimeSpan.FromSeconds(-1), 1), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.LimitStartsPurgeAsync(new LimitStartsPurgeParams(TimeSpan.Zero, 0), CancellationToken.None));
    }
}
