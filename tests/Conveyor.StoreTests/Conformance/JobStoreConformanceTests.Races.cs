using System.Collections.Concurrent;

namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private const int Claimers = 8;

    /// <summary>One store per claimer: the odd ones get their own instance over the same data, like another process.</summary>
    private IJobStore[] StoresForClaimers(int count) =>
        Enumerable.Range(0, count).Select(n => n % 2 == 0 ? Store : Factory.OpenSibling(Store, Time)).ToArray();

    [Fact]
    public async Task Concurrent_claimers_over_many_jobs_lose_none_and_duplicate_none()
    {
        const int total = 5_000;
        await InsertManyAsync(Enumerable.Range(0, total).Select(i => Job(payload: $"{i}")));
        var stores = StoresForClaimers(Claimers);
        var claimedIds = new ConcurrentBag<long>();
        var appliedIds = new ConcurrentBag<long>();

        await Task.WhenAll(Enumerable.Range(0, Claimers).Select(n => Task.Run(async () =>
        {
            var store = stores[n];
            while (true)
            {
                var batch = await ClaimAsync(limit: 10, worker: $"worker-{n}", store: store);
                if (batch.Count == 0)
                    return;
                foreach (var job in batch)
                    claimedIds.Add(job.Id);
                foreach (var id in await CompleteManyAsync(batch.Select(j => Completion(j, JobOutcome.Succeeded, actor: $"worker-{n}")), store))
                    appliedIds.Add(id);
            }
        })));

        Assert.Equal(total, claimedIds.Count);
        Assert.Equal(total, claimedIds.Distinct().Count());
        Assert.Equal(total, appliedIds.Distinct().Count());
        Assert.Equal(total, await CountJobsAsync(new JobQuery { States = [JobState.Succeeded] }));
        Assert.Equal(total, await CountJobsAsync());
    }

    [Fact]
    public async Task Concurrent_submissions_with_one_idempotency_key_insert_exactly_one_job()
    {
        var stores = StoresForClaimers(4);

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(n => Task.Run(async () =>
            Assert.Single(await stores[n % stores.Length].JobsInsertAsync(new JobsInsertParams([Job(payload: """{"o":1}""", idempotencyKey: "order-1")]), CancellationToken.None)))));

        Assert.Single(results, r => !r.Existing);
        Assert.Equal(49, results.Count(r => r.Existing));
        Assert.Single(results.Select(r => r.JobId).Distinct());
        Assert.Equal(1, await CountJobsAsync());

        var mixed = await Task.WhenAll(Enumerable.Range(0, 20).Select(n => Task.Run(async () =>
        {
            var payload = n % 2 == 0 ? """{"o":1}""" : """{"o":2}""";
            try
            {
                return (await stores[n % stores.Length].JobsInsertAsync(new JobsInsertParams([Job(payload: payload, idempotencyKey: "order-1")]), CancellationToken.None))[0].JobId;
            }
            catch (IdempotencyConflictException e)
            {
                return -e.ExistingJobId;
            }
        })));

        Assert.Equal(Enumerable.Range(0, 20).Select(n => n % 2 == 0 ? results[0].JobId : -results[0].JobId), mixed);
        Assert.Equal(1, await CountJobsAsync());
    }

    [Fact]
    public async Task Concurrent_different_payloads_racing_for_a_fresh_key_give_one_job_and_one_conflict()
    {
        var stores = StoresForClaimers(4);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(n => Task.Run(async () =>
        {
            var key = $"key-{n / 2}";
            try
            {
                var r = (await stores[n % stores.Length].JobsInsertAsync(new JobsInsertParams([Job(payload: $"{n % 2}", idempotencyKey: key)]), CancellationToken.None))[0];
                return (Key: key, Inserted: !r.Existing, JobId: r.JobId);
            }
            catch (IdempotencyConflictException e)
            {
                return (Key: key, Inserted: false, JobId: e.ExistingJobId);
            }
        })));

        foreach (var pair in outcomes.GroupBy(o => o.Key))
        {
            Assert.Single(pair, o => o.Inserted);
            Assert.Single(pair.Select(o => o.JobId).Distinct());
        }
        Assert.Equal(20, await CountJobsAsync());
    }

    [Fact]
    public async Task Concurrent_claimers_keep_per_key_order_and_one_active_job_per_key()
    {
        const int keys = 20, perKey = 25, total = keys * perKey;
        var ids = await InsertManyAsync(Enumerable.Range(0, total).Select(i => Job(concurrencyKey: $"key-{i % keys}", payload: $"{i}")));
        var submitted = ids.Select((id, i) => (id, key: $"key-{i % keys}")).GroupBy(x => x.key).ToDictionary(g => g.Key, g => g.Select(x => x.id).ToList());
        var stores = StoresForClaimers(Claimers);
        var gate = new object();
        var active = new Dictionary<string, HashSet<long>>();
        var started = new Dictionary<string, List<long>>();
        var overlaps = new List<string>();
        var completed = 0;
        var progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await Task.WhenAll(Enumerable.Range(0, Claimers).Select(n => Task.Run(async () =>
        {
            var store = stores[n];
            while (true)
            {
                Task nextProgress;
                lock (gate)
                    nextProgress = progress.Task;
                var batch = await ClaimAsync(limit: 10, worker: $"worker-{n}", store: store);
                if (batch.Count == 0)
                {
                    if (Volatile.Read(ref completed) == total)
                        return;
                    // Only a completion can make another job of a key claimable; the time-out is a safety net against a hang.
                    await nextProgress.WaitAsync(TimeSpan.FromSeconds(60));
                    continue;
                }
                lock (gate)
                {
                    foreach (var job in batch)
                    {
                        var key = job.ConcurrencyKey!;
                        if (!active.TryGetValue(key, out var running))
                            active[key] = running = [];
                        if (running.Count > 0)
                            overlaps.Add($"{key}: {job.Id} started while {string.Join(",", running)} ran");
                        running.Add(job.Id);
                        (started.TryGetValue(key, out var order) ? order : started[key] = []).Add(job.Id);
                    }
                }
                // The "handler" runs: other claimers get their turn while these jobs are active.
                await Task.Yield();
                lock (gate)
                {
                    // Leave the active set before completing: once the completion commits, the next job may start.
                    foreach (var job in batch)
                        active[job.ConcurrencyKey!].Remove(job.Id);
                }
                var applied = await CompleteManyAsync(batch.Select(j => Completion(j, JobOutcome.Succeeded)), store);
                Assert.Equal(batch.Count, applied.Count);
                lock (gate)
                {
                    completed += applied.Count;
                    var reached = progress;
                    progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    reached.SetResult();
                }
            }
        })));

        Assert.Empty(overlaps);
        Assert.Equal(total, completed);
        foreach (var (key, order) in submitted)
            Assert.Equal(order, started[key]);
        foreach (var (key, order) in submitted)
        {
            // The history is the store's own serial order: per key, each job starts only after the previous one succeeded.
            var events = (await Task.WhenAll(order.Select(id => EventsAsync(id))))
                .SelectMany(e => e).Where(e => e.Kind is JobEventKind.Started or JobEventKind.Succeeded).OrderBy(e => e.Id).ToList();
            Assert.Equal(order.SelectMany(id => new[] { (id, JobEventKind.Started), (id, JobEventKind.Succeeded) }), events.Select(e => (e.JobId, e.Kind)));
        }
    }

    [Fact]
    public async Task Concurrent_inserts_into_a_bounded_queue_never_exceed_the_bound()
    {
        const int bound = 50;
        var stores = StoresForClaimers(6);
        var bounds = new Dictionary<string, QueueBound> { ["bounded"] = new(bound, TimeSpan.FromSeconds(1)) };
        var accepted = new ConcurrentBag<long>();
        var refused = 0;

        await Task.WhenAll(Enumerable.Range(0, 24).Select(n => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                try
                {
                    var results = await stores[n % stores.Length].JobsInsertAsync(new JobsInsertParams([Job(queue: "bounded", payload: $"{n}.{i}")], bounds), CancellationToken.None);
                    accepted.Add(results[0].JobId);
                }
                catch (QueueFullException e)
                {
                    Assert.Equal(("bounded", bound), (e.Queue, e.MaxWaiting));
                    Interlocked.Increment(ref refused);
                }
            }
        })));

        Assert.Equal(bound, accepted.Count);
        Assert.Equal(240 - bound, refused);
        var stored = await ListAllAsync(new JobQuery { Queue = "bounded" });
        Assert.Equal(accepted.Order(), stored.Select(j => j.Id).Order());
        Assert.All(stored, j => Assert.Equal(JobState.Pending, j.State));
    }
}
