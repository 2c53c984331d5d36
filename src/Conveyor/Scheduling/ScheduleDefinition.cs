namespace Conveyor;

/// <summary>
/// A recurring schedule as it is defined: a cron expression in a time zone, and the job each tick enqueues. Code defines
/// one with <see cref="ConveyorOptions.AddRecurring"/>; the API and CLI with <see cref="IJobClient.AddScheduleAsync"/>.
/// </summary>
public sealed record ScheduleDefinition
{
    /// <summary>The schedule's unique name: 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.</summary>
    public required string Name { get; init; }

    /// <summary>The cron expression: five fields, or six with a leading seconds field.</summary>
    public required string Cron { get; init; }

    /// <summary>The IANA time zone the expression is read in. Default <c>UTC</c>.</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>The job type each tick enqueues (a registered kind).</summary>
    public required string Kind { get; init; }

    /// <summary>The payload of each job, as JSON text that deserialises to the kind's payload type.</summary>
    public required string Payload { get; init; }

    /// <summary>The queue of its jobs; null for the job type's queue or routing.</summary>
    public string? Queue { get; init; }

    /// <summary>The priority of its jobs; null for the job type's priority.</summary>
    public JobPriority? Priority { get; init; }

    /// <summary>What happens to ticks missed during downtime. Default <see cref="MisfirePolicy.FireOnce"/>.</summary>
    public MisfirePolicy Misfire { get; init; } = MisfirePolicy.FireOnce;

    /// <summary>With <see cref="MisfirePolicy.FireEach"/>, the most missed ticks that fire. Default 10.</summary>
    public int MaxCatchUp { get; init; } = 10;

    /// <summary>Whether a tick fires while the previous firing's job has not finished. Default <see cref="OverlapPolicy.Allow"/>.</summary>
    public OverlapPolicy Overlap { get; init; } = OverlapPolicy.Allow;
}
