using System.Diagnostics;
using Conveyor.Bench.Stores;

namespace Conveyor.Bench;

/// <summary>
/// <c>latency</c>: an idle host (Concurrency 16); one job at a time, the time from the start of the
/// <see cref="IJobClient.EnqueueAsync{TPayload}"/> call to the start of its handler. Each sample waits for the
/// job's completion to commit and then a short pause, so the next one meets an idle host again.
/// </summary>
internal sealed class LatencyWorkload(IBenchStore store, int samples, int warmup) : IWorkload
{
    private const int Concurrency = 16;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(5);

    public string Name => Workload.Latency;

    public bool WantsWarmup => false;

    public async Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken)
    {
        await using var database = store.CreateDatabase();
        await using var engine = Engine.Build(database, Concurrency, runWorkers: true);
        await engine.Host.StartAsync(cancellationToken);
        await engine.WarmStoreAsync(cancellationToken);
        await Task.Delay(Pause, cancellationToken);

        var measured = new List<double>(samples);
        long measuredStart = 0;
        for (var k = 0; k < warmup + samples; k++)
        {
            if (k == warmup)
                measuredStart = Stopwatch.GetTimestamp();
            var started = engine.Handlers.NextStartAsync();
            var completed = engine.Completions.WaitForAsync(k + 1);
            var enqueuedAt = Stopwatch.GetTimestamp();
            await engine.Client.EnqueueAsync(new NoopJob(k), cancellationToken: cancellationToken);
            var startedAt = await started.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            await completed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (k >= warmup)
                measured.Add(Stopwatch.GetElapsedTime(enqueuedAt, startedAt).TotalMilliseconds);
            await Task.Delay(Pause, cancellationToken);
        }
        var seconds = Stopwatch.GetElapsedTime(measuredStart).TotalSeconds;
        measured.Sort();
        Diagnostics.Latency(measured);
        return [new BenchResult(store.Name, Name, samples, Concurrency, seconds, null, null, Percentile(measured, 0.50), Percentile(measured, 0.99))];
    }

    /// <summary>Nearest rank: the smallest sample with at least <paramref name="q"/> of the samples at or below it.</summary>
    internal static double Percentile(List<double> sorted, double q) => sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Count) - 1)];
}
