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
    {
        Diagnostics.Write($"{name}: warm-up with {warmup} jobs");
        await workload.WarmupAsync(warmup, stop.Token);
    }
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
