using System.Collections.Concurrent;
using Conveyor.Storage;

namespace Conveyor.Worker;

/// <summary>The attempts this process holds, for heartbeats, cancellation and shutdown.</summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<long, RunningJob> _jobs = new();
    private readonly WakeSignal _changed = new();

    public int Count => _jobs.Count;

    public ICollection<RunningJob> All => _jobs.Values;

    public void Add(RunningJob run) => _jobs[run.Claim.Id] = run;

    public void Remove(RunningJob run)
    {
        _jobs.TryRemove(new KeyValuePair<long, RunningJob>(run.Claim.Id, run));
        _changed.Set();
    }

    /// <summary>Stops the attempt of the job that this process runs now, whichever it is (a cancellation targets the job).</summary>
    public bool Stop(long jobId, StopReason reason) => _jobs.TryGetValue(jobId, out var run) && run.Stop(reason);

    /// <summary>
    /// Stops the attempt that holds <paramref name="lease"/>, and only it: a newer attempt of the same job, claimed
    /// again by this process after that one ended, runs under another token and is left alone.
    /// </summary>
    public bool Stop(JobLease lease, StopReason reason) => _jobs.TryGetValue(lease.JobId, out var run) && run.Lease == lease && run.Stop(reason);

    /// <summary>Waits until no attempt is held or <paramref name="timeout"/> passes; true when none is held.</summary>
    public async Task<bool> WaitEmptyAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (!_jobs.IsEmpty)
        {
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
                return false;
            await _changed.WaitAsync(left, time, cancellationToken);
        }
        return true;
    }
}
