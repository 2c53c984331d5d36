using System.Diagnostics;
using Conveyor.Bench.Stores;

namespace Conveyor.Bench;

/// <summary>
/// <c>drain</c>: N no-op jobs are loaded while the worker host is stopped; the clock runs from starting the host
/// until the store has committed N succeeded completions. <c>drain_keyed</c>: the same with job i under
/// concurrency key i % 1000 (limit 1 per key). The limit of both is the store's raw drain (claim 100, complete
/// 100, no engine) measured in the same run. <c>drain_throttled</c>: job i submitted by tenant i % 1000 under a limit
/// partitioned by tenant (at most 2 running per tenant); its "limit" is the plain <c>drain</c> of the same round, so
/// its ratio is the share of the plain drain's throughput that the limited claim keeps.
/// </summary>
internal sealed class DrainWorkload(IBenchStore store, int workers, DrainKind kind) : IWorkload
{
    public string Name => kind switch
    {
        DrainKind.Keyed => Workload.DrainKeyed,
        DrainKind.Throttled => Workload.DrainThrottled,
        _ => Workload.Drain,
    };

    public bool WantsWarmup => true;

    public async Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken)
    {
        var elapsed = await DrainAsync(kind, jobs, cancellationToken);
        if (kind == DrainKind.Throttled)
        {
            var plain = await DrainAsync(DrainKind.Plain, jobs, cancellationToken);
            Diagnostics.Write($"{Name}: plain drain of the same round {jobs / plain.TotalSeconds:0} jobs/s");
            return [BenchResult.Throughput(store.Name, Name, jobs, workers, elapsed.TotalSeconds, plain.TotalSeconds)];
        }

        TimeSpan limit;
        await using (var raw = store.CreateDatabase())
            limit = await raw.RawDrainAsync(jobs, Workload.RawClaimBatch, cancellationToken);
        if (Diagnostics.Enabled)
        {
            // The raw path at the engine's own claim size (its free slots), for comparison only.
            await using var raw = store.CreateDatabase();
            var small = await raw.RawDrainAsync(jobs, workers, cancellationToken);
            Diagnostics.Write($"{Name}: raw drain claiming {workers} at a time: {jobs / small.TotalSeconds:0} jobs/s (engine/that = {small / elapsed:0.00})");
        }
        return [BenchResult.Throughput(store.Name, Name, jobs, workers, elapsed.TotalSeconds, limit.TotalSeconds)];
    }

    private async Task<TimeSpan> DrainAsync(DrainKind drain, int jobs, CancellationToken cancellationToken)
    {
        TimeSpan elapsed;
        await using (var database = store.CreateDatabase())
        {
            await using var engine = Engine.Build(database, workers, runWorkers: true, drain != DrainKind.Throttled ? null : o => o.AddLimit("per-tenant", l =>
            {
                l.ForJobType(Workload.NoopKind);
                l.MaxRunning = 2;
                l.PartitionByTenant();
            }));
            await engine.WarmStoreAsync(cancellationToken);
            await LoadAsync(engine.Client, drain, jobs, cancellationToken);

            var finished = engine.Completions.WaitForAsync(jobs);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            await engine.Host.StartAsync(cancellationToken);
            var end = await finished.WaitAsync(Timeout(jobs), cancellationToken);
            elapsed = Stopwatch.GetElapsedTime(start, end);
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;

            // The probe counts what the store reported committed; the database itself must agree.
            var succeeded = await database.CountSucceededAsync(cancellationToken);
            if (succeeded != jobs)
                throw new InvalidOperationException($"{Name}: the store shows {succeeded} succeeded jobs, expected {jobs}.");
            Diagnostics.Report(Name, jobs, elapsed, cpu, engine);
        }
        return elapsed;
    }

    private static async Task LoadAsync(IJobClient client, DrainKind drain, int jobs, CancellationToken cancellationToken)
    {
        for (var start = 0; start < jobs; start += Workload.EnqueueBatchSize)
        {
            var range = Enumerable.Range(start, Math.Min(Workload.EnqueueBatchSize, jobs - start));
            if (drain == DrainKind.Throttled)
            {
                await client.EnqueueBatchAsync(
                    range.Select(i => new JobSubmission(Workload.NoopKind, Workload.NoopPayloadJson(i),
                        new EnqueueOptions { Principal = new JobPrincipal(null, $"tenant-{i % Workload.Keys}", []) })).ToList(),
                    cancellationToken);
            }
            else if (drain == DrainKind.Keyed)
            {
                await client.EnqueueBatchAsync(
                    range.Select(i => new JobSubmission(Workload.NoopKind, Workload.NoopPayloadJson(i), new EnqueueOptions { ConcurrencyKey = $"key-{i % Workload.Keys}" })).ToList(),
                    cancellationToken);
            }
            else
            {
                await client.EnqueueManyAsync(range.Select(i => new NoopJob(i)).ToList(), cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>Generous: a run this slow is broken, not slow.</summary>
    private static TimeSpan Timeout(int jobs) => TimeSpan.FromSeconds(60 + jobs / 500.0);
}

/// <summary>The variants of the drain workload.</summary>
internal enum DrainKind
{
    Plain,
    Keyed,
    Throttled,
}
