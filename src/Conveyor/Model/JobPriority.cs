namespace Conveyor;

/// <summary>
/// How urgent a job is. A worker claims every ready job of a higher priority before any of a lower one in
/// the same queue; within one priority, jobs start in the order they became due.
/// </summary>
public enum JobPriority
{
    /// <summary>Runs before everything else in its queue.</summary>
    Critical = 0,

    /// <summary>Runs before normal and low jobs.</summary>
    High = 1,

    /// <summary>The default.</summary>
    Normal = 2,

    /// <summary>Runs when nothing more urgent is ready.</summary>
    Low = 3,
}
