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

var store = BenchStores.Create(options.Store);
if (store is null)
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

var results = new List<BenchResult>();
foreach (var name in options.Workloads)
{
    var workload = Workload.Create(name, store, options);
    var warmup = options.Warmup ?? options.Jobs;
    if (workload.WantsWarmup && warmup > 0)
    {
        Diagnostics.Write($"{name}: warm-up with {warmup} jobs");
        await workload.RunAsync(warmup, stop.Token);
    }
    var rounds = new List<BenchResult>();
    for (var round = 0; round < options.Repeat; round++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        rounds.Add(await workload.RunAsync(options.Jobs, stop.Token));
        Diagnostics.Write($"{name}: round {round + 1}: {rounds[^1].ToJsonLine()}");
    }
    // The median round: by throughput, or by p50 for latency.
    var result = rounds.OrderBy(r => r.PerSec ?? -r.P50Ms ?? 0).ElementAt(rounds.Count / 2);
    results.Add(result);
    if (options.Json)
        Console.WriteLine(result.ToJsonLine());
    else
        Console.Error.WriteLine($"{name}: done");
}

if (!options.Json)
    Console.Write(BenchResult.Table(results));
return 0;
