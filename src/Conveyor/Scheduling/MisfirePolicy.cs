namespace Conveyor;

/// <summary>
/// What a schedule does with ticks it missed (the scheduler did not run at their time, for example during downtime or
/// while the store was unreachable). A tick counts as missed once it is more than
/// <see cref="ConveyorOptions.ScheduleMisfireThreshold"/> old when the scheduler gets to it; ticks within the threshold
/// are on time and always fire, whatever the policy.
/// </summary>
public enum MisfirePolicy
{
    /// <summary>Missed ticks are dropped; the schedule goes on with its next tick.</summary>
    Skip,

    /// <summary>All missed ticks together fire one job (for the latest of them); the default.</summary>
    FireOnce,

    /// <summary>Each missed tick fires its own job, at most <see cref="RecurringOptions.MaxCatchUp"/> (the latest ones); older ones are dropped.</summary>
    FireEach,
}
