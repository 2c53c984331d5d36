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
    private int _completed;
    private int _suspended;

    public RunningJob(ClaimedJob claim, string workerId)
    {
        Claim = claim;
        Lease = new JobLease(claim.Id, claim.LeaseToken);
        WorkerId = workerId;
    }

    public ClaimedJob Claim { get; }

    /// <summary>The worker that claimed the attempt, the actor of its completion.</summary>
    public string WorkerId { get; }

    /// <summary>
    /// True once the attempt's end was committed on the handler's behalf (transactional completion): the executor
    /// writes no completion and heartbeats leave the job alone.
    /// </summary>
    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>Records that the attempt's end was committed; false when it already was.</summary>
    public bool MarkCompleted() => Interlocked.Exchange(ref _completed, 1) == 0;

    /// <summary>True once the attempt suspended the job on a question: the store has ended the attempt; nothing more is written.</summary>
    public bool IsSuspended => Volatile.Read(ref _suspended) != 0;

    /// <summary>Records that the store suspended the job (or cancelled it on suspension).</summary>
    public void MarkSuspended() => Volatile.Write(ref _suspended, 1);

    /// <summary>
    /// The delay the handler asked for with <see cref="JobContext.Snooze(TimeSpan)"/>; null unless it snoozed. Kept
    /// here rather than read from the exception, so a handler that catches its snooze still ends snoozed.
    /// </summary>
    public TimeSpan? SnoozeDelay { get; private set; }

    /// <summary>Records a snooze; a later call replaces the delay (the last one asked for wins).</summary>
    public void Snooze(TimeSpan delay) => SnoozeDelay = delay;

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
