using System.Diagnostics;
using Conveyor.Bench.Stores;

namespace Conveyor.Bench;

/// <summary>
/// <c>drain</c>: N no-op jobs are loaded while the worker host is stopped; the clock runs from starting the host
/// until the store has committed N succeeded completions. <c>drain_keyed</c>: the same with job i under
/// concurrency key i % 1000 (limit 1 per key). The limit of both is the store's raw drain (claim 100, complete
/// 100, no engine) measured in the same run.
/// </summary>
internal sealed class DrainWorkload(IBenchStore store, int workers, bool keyed) : IWorkload
{
    public string Name => keyed ? Workload.DrainKeyed : Workload.Drain;

    public bool WantsWarmup => true;

    public async Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken)
    {
        TimeSpan elapsed;
        await using (var database = store.CreateDatabase())
        {
            await using var engine = Engine.Build(database, workers, runWorkers: true);
            await engine.WarmStoreAsync(cancellationToken);
            await LoadAsync(engine.Client, jobs, cancellationToken);

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

    private async Task LoadAsync(IJobClient client, int jobs, CancellationToken cancellationToken)
    {
        for (var start = 0; start < jobs; start += Workload.EnqueueBatchSize)
        {
            var range = Enumerable.Range(start, Math.Min(Workload.EnqueueBatchSize, jobs - start));
            if (keyed)
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
