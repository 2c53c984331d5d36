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
        var leases = running.All.Select(r => r.Lease).ToList();
        if (leases.Count == 0)
            return;
        var result = await store.JobsHeartbeatAsync(new JobsHeartbeatParams(leases, options.LeaseDuration), cancellationToken);
        // The answer is about the leases sent. Meanwhile an attempt may have ended and this process claimed the same
        // job again (its completion and the new claim can commit together): stop by lease, never by job id alone,
        // or a stale "lost" would cancel the new attempt, whose outcome would then be discarded.
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
