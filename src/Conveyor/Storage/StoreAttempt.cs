using Conveyor.Worker;

namespace Conveyor.Storage;

/// <summary>
/// One running attempt as its store sees it, for stores that let a handler finish the attempt inside the store's own
/// transaction (transactional completion: the handler's writes and the job's success commit together). The store
/// writes <see cref="Success"/> in that transaction, fenced by <see cref="Lease"/>, and after the commit calls
/// <see cref="MarkCompleted"/>, so the engine writes no completion of its own for the attempt. When the fenced write
/// matches nothing it rolls back and throws <see cref="LeaseLost"/>'s exception.
/// </summary>
/// <remarks>
/// A service-provider interface for store authors; it may change between minor versions. Handlers use the store
/// package's extension of <see cref="JobContext"/> (the PostgreSQL store's <c>BeginTransactionAsync</c>).
/// </remarks>
public sealed class StoreAttempt
{
    private readonly RunningJob _run;
    private readonly JobContext _context;

    internal StoreAttempt(RunningJob run, JobContext context, IJobStore store)
    {
        _run = run;
        _context = context;
        Store = store;
    }

    /// <summary>The attempt of the handler that was given <paramref name="context"/>.</summary>
    public static StoreAttempt Of(JobContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.StoreAttempt;
    }

    /// <summary>The store that claimed the job; every write about the attempt goes there.</summary>
    public IJobStore Store { get; }

    /// <summary>The lease every write about the attempt is fenced by.</summary>
    public JobLease Lease => _run.Lease;

    /// <summary>True once <see cref="MarkCompleted"/> was called: the attempt's end is stored and the engine writes none.</summary>
    public bool IsCompleted => _run.IsCompleted;

    /// <summary>
    /// The completion that records the attempt's success as things stand: the result and artefacts the handler set so
    /// far, and this worker as the actor, fenced by <see cref="Lease"/>.
    /// </summary>
    public JobCompletion Success() => new()
    {
        Lease = _run.Lease,
        Outcome = JobOutcome.Succeeded,
        Result = _context.ResultJson,
        Artifacts = [.. _context.Artifacts],
        Actor = _run.WorkerId,
    };

    /// <summary>
    /// Tells the engine that the store committed the attempt's end itself: the engine writes no completion for it,
    /// whatever the handler does afterwards, and stops renewing its lease.
    /// </summary>
    /// <exception cref="InvalidOperationException">The attempt was already marked completed.</exception>
    public void MarkCompleted()
    {
        if (!_run.MarkCompleted())
            throw new InvalidOperationException($"Job {_run.Claim.Id} attempt {_run.Claim.Attempt} is already completed.");
    }

    /// <summary>
    /// Tells the engine that a fenced write about the attempt was refused (the lease was lost: the job was reaped,
    /// or another worker holds it now). Stops the handler, as a refused progress or log write does, and returns the
    /// exception to throw; the engine then discards the attempt's outcome.
    /// </summary>
    public OperationCanceledException LeaseLost() => _context.LeaseLost();
}
