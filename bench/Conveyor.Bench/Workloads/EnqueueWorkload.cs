using System.Diagnostics;
using Conveyor.Bench.Stores;

namespace Conveyor.Bench;

/// <summary>
/// <c>enqueue</c>: N calls of <see cref="IJobClient.EnqueueAsync{TPayload}"/> one after another from one task.
/// <c>enqueue_batch</c>: N jobs through <see cref="IJobClient.EnqueueManyAsync{TPayload}"/> in batches of 1,000.
/// The host runs no workers, so only submission is measured. The limit is the same inserts done raw.
/// </summary>
internal sealed class EnqueueWorkload(IBenchStore store, bool batched) : IWorkload
{
    public string Name => batched ? Workload.EnqueueBatch : Workload.Enqueue;

    public bool WantsWarmup => true;

    public async Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken)
    {
        TimeSpan elapsed;
        await using (var database = store.CreateDatabase())
        {
            await using var engine = Engine.Build(database, concurrency: 1, runWorkers: false);
            await engine.Host.StartAsync(cancellationToken);
            await engine.WarmStoreAsync(cancellationToken);
            var clock = Stopwatch.StartNew();
            if (batched)
            {
                for (var start = 0; start < jobs; start += Workload.EnqueueBatchSize)
                {
                    var from = start;
                    var batch = Enumerable.Range(from, Math.Min(Workload.EnqueueBatchSize, jobs - from)).Select(i => new NoopJob(i));
                    await engine.Client.EnqueueManyAsync(batch, cancellationToken: cancellationToken);
                }
            }
            else
            {
                for (var i = 0; i < jobs; i++)
                    await engine.Client.EnqueueAsync(new NoopJob(i), cancellationToken: cancellationToken);
            }
            elapsed = clock.Elapsed;
        }

        TimeSpan limit;
        await using (var raw = store.CreateDatabase())
        {
            limit = batched
                ? await raw.RawEnqueueBatchAsync(jobs, Workload.EnqueueBatchSize, cancellationToken)
                : await raw.RawEnqueueAsync(jobs, cancellationToken);
        }
        return [BenchResult.Throughput(store.Name, Name, jobs, workers: null, elapsed.TotalSeconds, limit.TotalSeconds)];
    }
}
