using System.Diagnostics;
using Conveyor.Bench.Stores;

namespace Conveyor.Bench;

/// <summary>
/// <c>latency_procs</c>: enqueue in this process, run in another. One idle worker process (Concurrency 16) on the
/// schema; this process enqueues one job at a time through <see cref="IJobClient.EnqueueAsync{TPayload}"/> (a host
/// with <c>RunWorkers = false</c>) and measures from just before the call to the worker's report of its handler
/// starting. Both are Stopwatch timestamps, i.e. CLOCK_MONOTONIC of the same machine, so they compare across
/// processes. Each sample then waits for the worker's report that the completion committed and pauses 5 ms.
/// </summary>
internal sealed class LatencyProcsWorkload(PostgresBenchStore store, int samples, int warmup) : IWorkload
{
    private const int Concurrency = 16;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public string Name => Workload.LatencyProcs;

    public bool WantsWarmup => false;

    public async Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken)
    {
        await using var database = store.Create();
        await database.MigrateAsync(cancellationToken);
        await using var worker = await WorkerProcess.StartAsync(database.ConnectionString, database.Schema, Concurrency, cancellationToken);
        await using var producer = Engine.Build(database, concurrency: 1, runWorkers: false);
        await producer.Host.StartAsync(cancellationToken);
        await producer.WarmStoreAsync(cancellationToken);
        await Task.Delay(Pause, cancellationToken);

        var measured = new List<double>(samples);
        long measuredStart = 0;
        for (var k = 0; k < warmup + samples; k++)
        {
            if (k == warmup)
                measuredStart = Stopwatch.GetTimestamp();
            var enqueuedAt = Stopwatch.GetTimestamp();
            await producer.Client.EnqueueAsync(new NoopJob(k), cancellationToken: cancellationToken);
            var startedAt = await worker.Starts.ReadAsync(cancellationToken).AsTask().WaitAsync(Timeout, cancellationToken);
            await WaitAppliedAsync(worker, k + 1, cancellationToken);
            if (k >= warmup)
                measured.Add(Stopwatch.GetElapsedTime(enqueuedAt, startedAt).TotalMilliseconds);
            await Task.Delay(Pause, cancellationToken);
        }
        var seconds = Stopwatch.GetElapsedTime(measuredStart).TotalSeconds;
        measured.Sort();
        Diagnostics.Latency(measured);
        return [new BenchResult(store.Name, Name, samples, Concurrency, seconds, null, null,
            LatencyWorkload.Percentile(measured, 0.50), LatencyWorkload.Percentile(measured, 0.99), Processes: 1)];
    }

    private static async Task WaitAppliedAsync(WorkerProcess worker, long total, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (worker.Applied >= total)
                reached.TrySetResult();
        }
        worker.AppliedChanged += Check;
        try
        {
            Check();
            await reached.Task.WaitAsync(Timeout, cancellationToken);
        }
        finally
        {
            worker.AppliedChanged -= Check;
        }
    }
}
