namespace Conveyor;

/// <summary>A schedule as the store holds it: its definition and where it stands.</summary>
public sealed record ScheduleInfo
{
    /// <summary>The definition: expression, zone, job and policies.</summary>
    public required ScheduleDefinition Definition { get; init; }

    /// <summary>The schedule's name (the definition's).</summary>
    public string Name => Definition.Name;

    /// <summary>Where it was defined: in code (written again at every start-up) or through the API.</summary>
    public required ScheduleSource Source { get; init; }

    /// <summary>True while an operator has paused it: no tick fires, and on resume the next tick after that moment is the first.</summary>
    public required bool Paused { get; init; }

    /// <summary>Who paused it, while it is paused.</summary>
    public string? PausedBy { get; init; }

    /// <summary>The next tick, an instant in UTC; null when the expression never fires again.</summary>
    public DateTimeOffset? NextFireAt { get; init; }

    /// <summary>The latest tick that fired a job, if any (a manual trigger is no tick and leaves it).</summary>
    public DateTimeOffset? LastFiredAt { get; init; }

    /// <summary>The latest job the schedule inserted (by a tick or a manual trigger), if any.</summary>
    public long? LastJobId { get; init; }

    /// <summary>When the schedule was first stored.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its row last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
