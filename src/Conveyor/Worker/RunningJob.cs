using Conveyor.Storage;

namespace Conveyor.Worker;

/// <summary>Why a running handler's token fired. The first reason wins.</summary>
internal enum StopReason
{
    None,
    CancelRequested,
    Shutdown,
    LeaseLost,
    Timeout,
}

/// <summary>One attempt held by this process: the claim, its lease, and the means to stop its handler.</summary>
internal sealed class RunningJob : IDisposable
{
    private int _reason;

    public RunningJob(ClaimedJob claim)
    {
        Claim = claim;
        Lease = new JobLease(claim.Id, claim.LeaseToken);
    }

    public ClaimedJob Claim { get; }

    public JobLease Lease { get; }

    public CancellationTokenSource Stopping { get; } = new();

    public StopReason Reason => (StopReason)Volatile.Read(ref _reason);

    /// <summary>Signals the handler to stop; returns false when it was already told to stop for another reason.</summary>
    public bool Stop(StopReason reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, (int)StopReason.None) != (int)StopReason.None)
            return false;
        try
        {
            Stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt ended between the check and the cancel; nothing is left to stop.
        }
        return true;
    }

    public void Dispose() => Stopping.Dispose();
}
