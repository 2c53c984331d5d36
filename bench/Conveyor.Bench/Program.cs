using Conveyor.Bench;
using Conveyor.Bench.Stores;

BenchArgs options;
try
{
    options = BenchArgs.Parse(args);
}
catch (UsageException e) when (e.IsHelp)
{
    Console.WriteLine(e.Message);
    return 0;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

if (options.Role is not null)
    return await WorkerRole.RunAsync(new WorkerArgs(options.Pg!, options.Schema!, options.Workers));

if (!BenchStores.Names.Contains(options.Store))
{
    Console.Error.WriteLine($"error: unknown store '{options.Store}'; supported: {string.Join(", ", BenchStores.Names)}");
    return 2;
}
Diagnostics.Enabled = options.Verbose;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var store = (await BenchStores.CreateAsync(options.Store, options.Pg, stop.Token))!;
var unsupported = options.Workloads?.Where(w => !store.Workloads.Contains(w)).ToList() ?? [];
if (unsupported.Count > 0)
{
    Console.Error.WriteLine($"error: --store {store.Name} has no workload {string.Join(", ", unsupported)}; it has {string.Join(", ", store.Workloads)}");
    return 2;
}

var results = new List<BenchResult>();
foreach (var name in options.Workloads ?? store.Workloads)
{
    await using var workload = Workload.Create(name, store, options);
    var warmup = options.Warmup ?? options.Jobs;
    if (workload.WantsWarmup && warmup > 0)
        await WarmUpAsync(name, workload, warmup, options.WarmupRounds, stop.Token);
    var rounds = new List<IReadOnlyList<BenchResult>>();
    for (var round = 0; round < options.Repeat; round++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        rounds.Add(await workload.RunAsync(options.Jobs, stop.Token));
        foreach (var figure in rounds[^1])
            Diagnostics.Write($"{name}: round {round + 1}: {figure.ToJsonLine()}");
    }
    // Per figure the median round: by throughput, or by p50 for latency.
    for (var i = 0; i < rounds[0].Count; i++)
    {
        var result = rounds.Select(r => r[i]).OrderBy(r => r.PerSec ?? -r.P50Ms ?? 0).ElementAt(rounds.Count / 2);
        results.Add(result);
        if (options.Json)
            Console.WriteLine(result.ToJsonLine());
    }
    if (!options.Json)
        Console.Error.WriteLine($"{name}: done");
}

if (!options.Json)
    Console.Write(BenchResult.Table(results));
return 0;

// Untimed rounds, each on fresh databases. Tiered compilation promotes hot methods to optimised code in the background,
// after enough calls and, with dynamic PGO, an instrumented tier: after one warm-up round of 20,000 jobs the drain's
// timed round still ran beside it, at 35-38k jobs/s where it reaches 42-44k after two (and no more after three;
// bench/README.md). The JIT's time per round falls from ~1 s in the first to ~0.4 s in the second and ~0.15 s after,
// where it stays: each round builds a new host, whose factories are compiled anew.
static async Task WarmUpAsync(string name, IWorkload workload, int jobs, int rounds, CancellationToken cancellationToken)
{
    for (var round = 1; round <= rounds; round++)
    {
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await workload.WarmupAsync(jobs, cancellationToken);
        var jit = System.Runtime.JitInfo.GetCompilationTime() - jitBefore;
        Diagnostics.Write($"{name}: warm-up round {round} with {jobs} jobs: {jit.TotalMilliseconds:0} ms of {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms compiling");
    }
}
