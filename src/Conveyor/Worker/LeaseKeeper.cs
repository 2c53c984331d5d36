using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// Extends the leases of every attempt this process holds in one store call per heartbeat interval, and stops
/// the handlers whose lease was lost or whose cancellation was requested.
/// </summary>
internal sealed class LeaseKeeper(ConveyorOptions options, IJobStore store, RunningJobs running, TimeProvider time, ILogger logger)
{
    public Task RunAsync(CancellationToken stop) => PeriodicLoop.RunAsync(
        options.HeartbeatInterval, time, BeatAsync,
        e => logger.LogError(e, "Heartbeat failed; leases expire after {LeaseDuration} unless a later heartbeat succeeds", options.LeaseDuration),
        stop);

    internal async Task BeatAsync(CancellationToken cancellationToken)
    {
        // An attempt whose end its handler already committed (transactional completion) holds no lease any more.
        var leases = running.All.Where(r => !r.IsCompleted).Select(r => r.Lease).ToList();
        if (leases.Count == 0)
            return;
        var result = await store.JobsHeartbeatAsync(new JobsHeartbeatParams(leases, options.LeaseDuration), cancellationToken);
        // By lease, not by job id: the snapshot may hold an attempt that has ended since, and the job's next attempt
        // may already run here under a new token.
        var sent = leases.ToDictionary(l => l.JobId);
        foreach (var id in result.Lost)
        {
            if (sent.TryGetValue(id, out var lease) && running.Stop(lease, StopReason.LeaseLost))
                logger.LogWarning("Job {JobId} lost its lease (it expired and was recovered elsewhere); its handler is cancelled", id);
        }
        foreach (var id in result.CancelRequested)
        {
            if (sent.TryGetValue(id, out var lease))
                running.Stop(lease, StopReason.CancelRequested);
        }
    }
}
