using Conveyor.Storage;
using Conveyor.Telemetry;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// Recovers stuck jobs: running jobs whose lease expired because their worker died or stalled. The store's
/// reap is one conditional statement, so reapers on several nodes never recover a job twice.
/// </summary>
internal sealed class Reaper(ConveyorOptions options, IJobStore store, TimeProvider time, ILogger logger)
{
    private const int BatchSize = 1000;

    public Task RunAsync(CancellationToken stop) => PeriodicLoop.RunAsync(
        options.ReaperInterval, time, ReapAsync,
        e => logger.LogError(e, "Looking for stuck jobs failed; trying again in {Interval}", options.ReaperInterval),
        stop);

    internal async Task ReapAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ReapedJob> reaped;
        do
        {
            reaped = await store.JobsReapAsync(new JobsReapParams(BatchSize), cancellationToken);
            foreach (var job in reaped)
            {
                JobMetrics.RecordStuck(job);
                logger.LogWarning("Job {JobId} in queue {Queue} was stuck (lease expired on attempt {Attempt}); now {State}", job.JobId, job.Queue, job.Attempt, job.State.ToWireName());
            }
        }
        while (reaped.Count == BatchSize);
    }
}
