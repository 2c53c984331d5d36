namespace Conveyor.Storage;

/// <summary>
/// Wake-ups a store raises after it commits: jobs became ready in a queue, or a running job's cancellation
/// was requested. Workers wait on these instead of polling; polling remains only as a slow fallback for
/// changes made by other processes.
/// </summary>
/// <remarks>Handlers run on the publishing thread and must return quickly without throwing.</remarks>
public sealed class StoreSignals
{
    /// <summary>The queue name that means "every queue" in <see cref="JobsReady"/> (for example when a concurrency key frees up).</summary>
    public const string AnyQueue = "*";

    /// <summary>Jobs in a queue are ready now, or will be at the given instant.</summary>
    public event Action<string, DateTimeOffset>? JobsReady;

    /// <summary>Someone asked to cancel a running job.</summary>
    public event Action<long>? CancelRequested;

    /// <summary>History events were committed (by this process, or by another one the store heard about): the change feed has news.</summary>
    public event Action? EventsAppended;

    /// <summary>A recurring schedule was added, changed or resumed: a scheduler should look at the next fire times again.</summary>
    public event Action? SchedulesChanged;

    /// <summary>Raises <see cref="JobsReady"/>.</summary>
    public void PublishJobsReady(string queue, DateTimeOffset readyAt) => JobsReady?.Invoke(queue, readyAt);

    /// <summary>Raises <see cref="CancelRequested"/>.</summary>
    public void PublishCancelRequested(long jobId) => CancelRequested?.Invoke(jobId);

    /// <summary>Raises <see cref="EventsAppended"/>.</summary>
    public void PublishEventsAppended() => EventsAppended?.Invoke();

    /// <summary>Raises <see cref="SchedulesChanged"/>.</summary>
    public void PublishSchedulesChanged() => SchedulesChanged?.Invoke();
}
