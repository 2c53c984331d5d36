using System.Collections.Concurrent;

namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static readonly TimeSpan TenantRetryAfter = TimeSpan.FromSeconds(9);

    private static NewJob TenantJob(string? tenant, string queue = "default", string payload = "{}", string? idempotencyKey = null, TimeSpan delay = default) =>
        Job(queue: queue, payload: payload, idempotencyKey: idempotencyKey, delay: delay, principal: new JobPrincipal("u", tenant, []));

    private Task<IReadOnlyList<JobInsertResult>> InsertTenantBoundedAsync(TenantBound bound, params NewJob[] jobs) =>
        Store.JobsInsertAsync(new JobsInsertParams(jobs) { TenantBound = bound }, CancellationToken.None);

    private Task<IReadOnlyList<JobInsertResult>> InsertTenantBoundedAsync(int maxWaiting, params NewJob[] jobs) =>
        InsertTenantBoundedAsync(new TenantBound(maxWaiting, TenantRetryAfter), jobs);

    private async Task<int> CountTenantJobsAsync(string? tenant) =>
        (await ListAllAsync()).Count(j => j.Principal.Tenant == tenant);

    [Fact]
    public async Task Tenant_at_its_bound_is_refused_with_the_bound_and_retry_after_across_queues()
    {
        await InsertTenantBoundedAsync(3, TenantJob("acme", queue: "a"), TenantJob("acme", queue: "b"));
        await InsertTenantBoundedAsync(3, TenantJob("acme", queue: "c", delay: TimeSpan.FromHours(1)));
        var before = await ListAllAsync();

        var full = await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(3, TenantJob("acme", queue: "a", payload: "\"late\"")));

        Assert.Equal(("acme", 3, TenantRetryAfter), (full.Tenant, full.MaxWaiting, full.RetryAfter));
        var after = await ListAllAsync();
        Assert.Equal(before.Select(j => (j.Id, j.Payload, j.State)), after.Select(j => (j.Id, j.Payload, j.State)));
    }

    [Fact]
    public async Task Tenant_at_its_bound_does_not_affect_another_tenant_or_the_default_tenants_own_bound()
    {
        await InsertTenantBoundedAsync(2, TenantJob("acme"), TenantJob("acme"));
        await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(2, TenantJob("acme")));

        Assert.Equal(2, (await InsertTenantBoundedAsync(2, TenantJob("globex"), TenantJob("globex"))).Count);
        Assert.Equal(2, (await InsertTenantBoundedAsync(2, TenantJob(null), TenantJob(null))).Count);
        var defaultFull = await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(2, TenantJob(null)));
        // Without a tenant bound nothing is counted: the same tenant is accepted.
        await InsertAsync(TenantJob("acme"));

        Assert.Null(defaultFull.Tenant);
        Assert.Equal(2, defaultFull.MaxWaiting);
        var counts = (await CountTenantJobsAsync("acme"), await CountTenantJobsAsync("globex"), await CountTenantJobsAsync(null));
        Assert.Equal((3, 2, 2), counts);
    }

    [Fact]
    public async Task Tenant_bound_overrides_give_one_tenant_its_own_bound_or_none()
    {
        var bound = new TenantBound(1, TenantRetryAfter) { Overrides = new Dictionary<string, int?> { ["big"] = 3, ["free"] = null } };

        await InsertTenantBoundedAsync(bound, TenantJob("small"), TenantJob("big"), TenantJob("big"), TenantJob("big"));
        var small = await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(bound, TenantJob("small")));
        var big = await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(bound, TenantJob("big")));
        Assert.Equal(10, (await InsertTenantBoundedAsync(bound, [.. Enumerable.Range(0, 10).Select(_ => TenantJob("free"))])).Count);
        var onlyOverride = new TenantBound(null, TenantRetryAfter) { Overrides = new Dictionary<string, int?> { ["small"] = 1 } };
        Assert.Equal(2, (await InsertTenantBoundedAsync(onlyOverride, TenantJob("big"), TenantJob(null))).Count);
        await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(onlyOverride, TenantJob("small")));

        Assert.Equal((1, 3), (small.MaxWaiting, big.MaxWaiting));
        Assert.Equal(16, await CountJobsAsync());
    }

    [Fact]
    public async Task Tenant_bound_refuses_a_batch_that_would_cross_it_and_stores_none_of_the_batch()
    {
        await InsertTenantBoundedAsync(3, TenantJob("acme"));

        await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(3,
            TenantJob("globex"),
            TenantJob("acme", queue: "a"),
            TenantJob("acme", queue: "b"),
            TenantJob("acme", queue: "c")));

        Assert.Equal(1, await CountJobsAsync());
        Assert.Equal(0, await CountTenantJobsAsync("globex"));
        Assert.Equal(2, (await InsertTenantBoundedAsync(3, TenantJob("acme", queue: "a"), TenantJob("acme", queue: "b"))).Count);
        Assert.Equal(3, await CountTenantJobsAsync("acme"));
    }

    [Fact]
    public async Task Tenant_at_its_bound_gets_the_existing_job_for_an_idempotent_replay()
    {
        var first = Assert.Single(await InsertTenantBoundedAsync(2, TenantJob("acme", idempotencyKey: "k")));
        await InsertTenantBoundedAsync(2, TenantJob("acme"));
        await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(2, TenantJob("acme")));

        var replay = Assert.Single(await InsertTenantBoundedAsync(2, TenantJob("acme", idempotencyKey: "k")));
        var inBatch = await InsertTenantBoundedAsync(1, TenantJob("globex", idempotencyKey: "j"), TenantJob("globex", idempotencyKey: "j"));

        Assert.Equal((first.JobId, true), (replay.JobId, replay.Existing));
        Assert.Equal([false, true], inBatch.Select(r => r.Existing));
        Assert.Equal(3, await CountJobsAsync());
    }

    [Fact]
    public async Task Tenant_bound_counts_only_waiting_jobs_not_running_or_finished_ones()
    {
        await InsertTenantBoundedAsync(2, TenantJob("acme", queue: "run"), TenantJob("acme", queue: "done"));
        await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(2, TenantJob("acme")));

        var running = await ClaimOneAsync("run");
        var done = await ClaimOneAsync("done");
        Assert.True(await CompleteAsync(done, JobOutcome.Succeeded));
        Assert.Equal(2, (await InsertTenantBoundedAsync(2, TenantJob("acme"), TenantJob("acme", delay: TimeSpan.FromHours(1)))).Count);
        await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(2, TenantJob("acme")));
        var cancelled = await InsertAsync(TenantJob("acme"));
        await CancelAsync(cancelled);
        Assert.Single(await InsertTenantBoundedAsync(3, TenantJob("acme")));
        await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(3, TenantJob("acme")));

        Assert.Equal(JobState.Running, (await GetAsync(running.Id)).State);
        Assert.Equal(JobState.Cancelled, (await GetAsync(cancelled)).State);
        Assert.Equal(6, await CountTenantJobsAsync("acme"));
    }

    [Fact]
    public async Task Default_tenants_bound_counts_its_own_waiting_jobs_not_named_tenants_or_running_or_finished_ones()
    {
        // A store may count the default tenant apart from named ones (SQLite: all waiting jobs less the named tenants').
        await InsertAsync(TenantJob("acme"));
        await InsertAsync(TenantJob("acme", queue: "b", delay: TimeSpan.FromHours(1)));
        await InsertTenantBoundedAsync(3, TenantJob(null, queue: "run"), TenantJob(null, queue: "done"), TenantJob(null, delay: TimeSpan.FromHours(1)));
        await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(3, TenantJob(null)));

        var running = await ClaimOneAsync("run");
        Assert.True(await CompleteAsync(await ClaimOneAsync("done"), JobOutcome.Succeeded));
        Assert.Equal(2, (await InsertTenantBoundedAsync(3, TenantJob(null), TenantJob(null, queue: "b"))).Count);
        var full = await Assert.ThrowsAsync<TenantFullException>(() => InsertTenantBoundedAsync(3, TenantJob(null)));
        Assert.Single(await InsertTenantBoundedAsync(3, TenantJob("acme")));

        Assert.Null(full.Tenant);
        Assert.Equal(JobState.Running, (await GetAsync(running.Id)).State);
        Assert.Equal((5, 3), (await CountTenantJobsAsync(null), await CountTenantJobsAsync("acme")));
    }

    [Fact]
    public async Task Concurrent_submitters_of_one_tenant_never_exceed_its_bound_and_lose_nothing_accepted()
    {
        const int bound = 50;
        var stores = StoresForClaimers(Claimers);
        var tenantBound = new TenantBound(bound, TimeSpan.FromSeconds(1));
        var accepted = new ConcurrentBag<long>();
        var others = new ConcurrentBag<long>();
        var refused = 0;

        await Task.WhenAll(Enumerable.Range(0, Claimers).Select(n => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                try
                {
                    // Queues differ by submitter: the tenant's bound spans them all.
                    var job = TenantJob("acme", queue: $"q{n % 3}", payload: $"\"{n}.{i}\"");
                    var results = await stores[n].JobsInsertAsync(new JobsInsertParams([job]) { TenantBound = tenantBound }, CancellationToken.None);
                    accepted.Add(results[0].JobId);
                }
                catch (TenantFullException e)
                {
                    Assert.Equal(("acme", bound), (e.Tenant, e.MaxWaiting));
                    Interlocked.Increment(ref refused);
                }
                if (i % 5 == 0)
                    others.Add((await stores[n].JobsInsertAsync(new JobsInsertParams([TenantJob($"other{n}")]) { TenantBound = tenantBound }, CancellationToken.None))[0].JobId);
            }
        })));

        Assert.Equal(bound, accepted.Count);
        Assert.Equal((Claimers * 20) - bound, refused);
        var stored = await ListAllAsync();
        Assert.Equal(accepted.Order(), stored.Where(j => j.Principal.Tenant == "acme").Select(j => j.Id).Order());
        Assert.Equal(others.Order(), stored.Where(j => j.Principal.Tenant != "acme").Select(j => j.Id).Order());
        Assert.All(stored, j => Assert.Equal(JobState.Pending, j.State));
    }
}
