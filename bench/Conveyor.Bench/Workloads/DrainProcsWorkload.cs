using System.Diagnostics;
using Conveyor.Bench.Stores;
using Conveyor.Storage;

namespace Conveyor.Bench;

/// <summary>
/// <c>drain_procs</c>: the drain across worker processes, one figure per process count (1, 2, 4 by default), each
/// process with <c>--workers</c> slots. Each count has its own schema and its own processes, started once and kept
/// across the warm-up and the timed rounds. A round: pause the queue, empty the tables, load N jobs with the store's
/// bulk insert, then start the clock and resume the queue (its NOTIFY wakes the processes); the clock stops when
/// the processes' reports add up to N committed completions, and a COUNT must then show N succeeded. The limit is
/// the store's raw claim-100-and-complete loop with as many clients as there are processes, in the same round.
/// </summary>
internal sealed class DrainProcsWorkload(PostgresBenchStore store, int workers, IReadOnlyList<int> processCounts) : IWorkload
{
    private readonly Dictionary<int, (PostgresBenchDatabase Database, WorkerGroup Group)> _groups = [];

    public string Name => Workload.DrainProcs;

    public bool WantsWarmup => true;

    public async Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken)
    {
        var results = new List<BenchResult>();
        foreach (var processes in processCounts)
        {
            var (database, group) = await GroupAsync(processes, cancellationToken);
            TimeSpan elapsed;
            await using (var control = database.OpenStore())
            {
                await control.QueueSetPausedAsync(new QueueSetPausedParams(ConveyorOptions.DefaultQueueName, true), cancellationToken);
                await database.TruncateAsync(cancellationToken);
                await RawStoreLoop.LoadNoopJobsAsync(control, jobs, cancellationToken);
                var mark = group.Mark();
                var start = Stopwatch.GetTimestamp();
                await control.QueueSetPausedAsync(new QueueSetPausedParams(ConveyorOptions.DefaultQueueName, false), cancellationToken);
                var end = await group.WaitForAsync(mark, jobs, TimeSpan.FromSeconds(60 + jobs / 500.0), cancellationToken);
                elapsed = Stopwatch.GetElapsedTime(start, end);
            }
            var succeeded = await database.CountSucceededAsync(cancellationToken);
            if (succeeded != jobs)
                throw new InvalidOperationException($"{Name}: the store shows {succeeded} succeeded jobs, expected {jobs}.");

            TimeSpan limit;
            await using (var raw = store.Create())
                limit = await raw.RawDrainAsync(jobs, Workload.RawClaimBatch, clients: processes, cancellationToken);
            Diagnostics.Write($"{Name}: {processes} processes: {jobs / elapsed.TotalSeconds:0} jobs/s, raw with {processes} clients {jobs / limit.TotalSeconds:0} jobs/s");
            results.Add(BenchResult.Throughput(store.Name, Name, jobs, workers, elapsed.TotalSeconds, limit.TotalSeconds) with { Processes = processes });
        }
        return results;
    }

    private async Task<(PostgresBenchDatabase, WorkerGroup)> GroupAsync(int processes, CancellationToken cancellationToken)
    {
        if (_groups.TryGetValue(processes, out var existing))
            return existing;
        var database = store.Create();
        await database.MigrateAsync(cancellationToken);
        var group = await WorkerGroup.StartAsync(database.ConnectionString, database.Schema, processes, workers, cancellationToken);
        _groups[processes] = (database, group);
        return (database, group);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (database, group) in _groups.Values)
        {
            await group.DisposeAsync();
            await database.DisposeAsync();
        }
        _groups.Clear();
    }
}
