namespace Conveyor;

/// <summary>Whether a tick fires while the job of the schedule's previous firing has not finished.</summary>
public enum OverlapPolicy
{
    /// <summary>Every tick fires; firings may run side by side. The default.</summary>
    Allow,

    /// <summary>
    /// A tick is skipped (nothing is enqueued; the schedule moves on to its next tick) while the previous firing's job is
    /// still waiting, running or awaiting input. Checked in the same transaction as the firing.
    /// </summary>
    Skip,

    /// <summary>
    /// Every tick fires, but the firings share the concurrency key <c>schedule:&lt;name&gt;</c>, so they run one after
    /// another in tick order.
    /// </summary>
    Queue,
}
