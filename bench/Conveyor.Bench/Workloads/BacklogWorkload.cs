using System.Diagnostics;
using Conveyor.Bench.Stores;

namespace Conveyor.Bench;

/// <summary>
/// <c>backlog</c>: does a deep queue slow the claim? Two figures: the engine (one process, <c>--workers</c> slots)
/// claims and completes N jobs from the top of a queue that holds 10,000 more (<c>backlog_10k</c>), then from one
/// that holds 1,000,000 more (<c>backlog_1m</c>), so at least that many wait throughout. The backlog is inserted
/// straight into the schema with generate_series (rows and events as the store writes them) and the table
/// vacuumed and analyzed before the clock starts; the clock runs from starting the host to N committed
/// completions. In the 1M line <c>limit_per_sec</c> is the 10k rate, so <c>ratio</c> = rate at 1M / rate at 10k.
/// The warm-up is one 10k round.
/// </summary>
internal sealed class BacklogWorkload(PostgresBenchStore store, int workers) : IWorkload
{
    private const int Small = 10_000;
    private const int Large = 1_000_000;

    public string Name => Workload.Backlog;

    public bool WantsWarmup => true;

    public async Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken)
    {
        var small = await MeasureAsync(Small, jobs, cancellationToken);
        var large = await MeasureAsync(Large, jobs, cancellationToken);
        return
        [
            BenchResult.Throughput(store.Name, "backlog_10k", jobs, workers, small.TotalSeconds, null),
            BenchResult.Throughput(store.Name, "backlog_1m", jobs, workers, large.TotalSeconds, small.TotalSeconds),
        ];
    }

    public Task WarmupAsync(int jobs, CancellationToken cancellationToken) => MeasureAsync(Small, jobs, cancellationToken);

    private async Task<TimeSpan> MeasureAsync(int backlog, int jobs, CancellationToken cancellationToken)
    {
        await using var database = store.Create();
        await database.MigrateAsync(cancellationToken);
        var load = Stopwatch.StartNew();
        await database.LoadAsync(backlog + jobs, cancellationToken);
        Diagnostics.Write($"{Name}: loaded {backlog + jobs} jobs in {load.Elapsed.TotalSeconds:0.0} s");

        await using var engine = Engine.Build(database, workers, runWorkers: true);
        await engine.WarmStoreAsync(cancellationToken);
        var finished = engine.Completions.WaitForAsync(jobs);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        await engine.Host.StartAsync(cancellationToken);
        var end = await finished.WaitAsync(TimeSpan.FromSeconds(60 + jobs / 500.0), cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start, end);
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Diagnostics.Report($"{Name} {backlog}", jobs, elapsed, cpu, engine);
        return elapsed;
    }
}
